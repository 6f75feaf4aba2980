#include "../support/lossfixture.h"

#include <trace/spans.h>

#include <QTest>

using namespace tl;

class TestSpans : public QObject {
    Q_OBJECT
private slots:
    void statesFollowEvents();
    void holdsOthersWaitForAreContended();
    void unprotectedSectionsAreNotHolds();
    void droppedEventsLeaveNoBrokenSpans();
    void lostEventsAreAGapNoSpanBridges();
    void aLossRunsFromTheLastKeptEventWhateverTheKernelSaysWithin();
    void lostSwitchRecordsLeaveTheCpuUnknownFromTheLastRecordKept();
    void aThreadWhoseLastEventsWereLostEndsWithThem();
    void kernelSwitchesShowTimeOffTheCpu();
    void waitsLookTheSameOnAndOffTheCpu();
    void lostSwitchRecordsLeaveTheCpuUnknown();
    void waitsShowTheLocksStillHeld();
    void unprotectedSectionStaysOpenWhileItsWorkerSleeps();
};

namespace {
Event ev(std::int64_t t, EventKind kind, std::uint16_t lock = 0, std::int32_t value = 1)
{
    return { t, value, lock, 0, kind };
}
Event switchOut(std::int64_t t, bool preempted, std::uint8_t cpu)
{
    return { t, preempted ? 1 : 0, 0, cpu, EventKind::SwitchOut };
}
Event switchIn(std::int64_t t, std::uint8_t cpu)
{
    return { t, 0, 0, cpu, EventKind::SwitchIn };
}
}

void TestSpans::statesFollowEvents()
{
    const std::vector<Event> events { ev(0, EventKind::Enqueued), ev(10, EventKind::Started),
        ev(20, EventKind::LockWait, 1), ev(30, EventKind::LockAcquired, 1), ev(45, EventKind::LockReleased, 1),
        ev(50, EventKind::Sleeping), ev(80, EventKind::Running), ev(90, EventKind::Finished) };
    const auto spans = spansForLane(events, 1000).spans;
    QCOMPARE(spans.size(), std::size_t(7));
    const LaneState expected[] = { LaneState::Queued, LaneState::Running, LaneState::LockWait, LaneState::LockHeld,
        LaneState::Running, LaneState::Sleeping, LaneState::Running };
    for (std::size_t i = 0; i < spans.size(); ++i) {
        QCOMPARE(spans[i].state, expected[i]);
        if (i > 0)
            QCOMPARE(spans[i].start, spans[i - 1].end); // back to back
    }
    QCOMPARE(spans[3].lock, std::uint16_t(1));
    QCOMPARE(spans.back().end, std::int64_t(90)); // nothing after Finished
}

void TestSpans::holdsOthersWaitForAreContended()
{
    Trace trace;
    trace.endNs = 100;
    // Worker 0 holds lock 1 over [10, 50); worker 1 waits for it over [20, 50), then holds [50, 60).
    trace.lanes.push_back({ ev(0, EventKind::Started), ev(5, EventKind::LockWait, 1),
        ev(10, EventKind::LockAcquired, 1), ev(50, EventKind::LockReleased, 1), ev(60, EventKind::Finished) });
    trace.lanes.push_back({ ev(0, EventKind::Started), ev(20, EventKind::LockWait, 1),
        ev(50, EventKind::LockAcquired, 1), ev(60, EventKind::LockReleased, 1), ev(70, EventKind::Finished) });
    const auto lanes = buildSpans(trace);
    auto holdOf = [](const LaneSpans& lane) {
        for (const auto& s : lane.spans)
            if (s.state == LaneState::LockHeld || s.state == LaneState::LockHeldContended)
                return s.state;
        return LaneState::Running;
    };
    QCOMPARE(holdOf(lanes[0]), LaneState::LockHeldContended);
    QCOMPARE(holdOf(lanes[1]), LaneState::LockHeld); // nobody waited while worker 1 held it
}

void TestSpans::unprotectedSectionsAreNotHolds()
{
    const std::vector<Event> events { ev(0, EventKind::Started), ev(10, EventKind::LockAcquired, 1, 0),
        ev(20, EventKind::LockReleased, 1), ev(30, EventKind::Finished) };
    const auto spans = spansForLane(events, 100).spans;
    QCOMPARE(spans.size(), std::size_t(3));
    QCOMPARE(spans[1].state, LaneState::Unprotected);
    QCOMPARE(spans[2].state, LaneState::Running);
}

void TestSpans::droppedEventsLeaveNoBrokenSpans()
{
    // A release without its acquire (the acquire was dropped) must not underflow or invert time.
    const std::vector<Event> events { ev(0, EventKind::Started), ev(10, EventKind::LockReleased, 1),
        ev(20, EventKind::LockAcquired, 2), ev(30, EventKind::Finished) };
    const auto spans = spansForLane(events, 100).spans;
    for (const auto& s : spans)
        QVERIFY(s.end > s.start);
    QCOMPARE(spans.back().state, LaneState::LockHeld);
}

// Events lost between 10 and 50 (a full ring): the unprotected section that began at 10 cannot be drawn up to
// 50, since nobody knows what happened in between. The lane shows a NoData span exactly over the loss.
void TestSpans::lostEventsAreAGapNoSpanBridges()
{
    const std::vector<Event> events { ev(0, EventKind::Started), ev(10, EventKind::LockAcquired, 1, 0),
        ev(12, EventKind::LockReleased, 1), ev(14, EventKind::LockAcquired, 1, 0), ev(50, EventKind::Lost, 0, 1000),
        ev(50, EventKind::LockReleased, 1), ev(60, EventKind::Finished) };
    const auto lane = spansForLane(events, 100);
    QCOMPARE(lane.gaps.size(), std::size_t(1));
    QCOMPARE(lane.gaps[0].start, std::int64_t(14));
    QCOMPARE(lane.gaps[0].end, std::int64_t(50));
    QCOMPARE(lane.gaps[0].lost, std::uint64_t(1000));
    for (const Span& s : lane.spans) {
        if (s.state == LaneState::NoData) {
            QCOMPARE(s.start, std::int64_t(14));
            QCOMPARE(s.end, std::int64_t(50));
        } else {
            QVERIFY2(s.end <= 14 || s.start >= 50,
                qPrintable(QStringLiteral("a %1 span [%2, %3) bridges the gap")
                               .arg(laneStateName(s.state))
                               .arg(s.start)
                               .arg(s.end)));
        }
    }
    QCOMPARE(lane.spans.back().state, LaneState::Running); // after the gap, from the release on
    QCOMPARE(lane.spans.back().start, std::int64_t(50));
}

// The case: a worker switched out while its ring is full. The kernel's records that arrive during the
// loss must not shrink the gap to the stretch after the last of them.
void TestSpans::aLossRunsFromTheLastKeptEventWhateverTheKernelSaysWithin()
{
    using Fixture = test::LossFixture;
    const auto lanes = buildSpans(Fixture::trace());
    QCOMPARE(lanes[0].gaps.size(), std::size_t(1));
    QCOMPARE(lanes[0].gaps[0].start, Fixture::kLostFrom);
    QCOMPARE(lanes[0].gaps[0].end, Fixture::kLostTo);
    QCOMPARE(lanes[0].gaps[0].lost, std::uint64_t(500));
    // The spans as every export writes them: one gap over the lost stretch, nothing claimed inside it.
    std::vector<Fixture::Slice> slices;
    for (std::size_t l = 0; l < lanes.size(); ++l)
        for (const Span& s : lanes[l].spans)
            slices.push_back({ l, s.start - Fixture::kStart, s.end - Fixture::kStart, s.state == LaneState::NoData,
                s.cpu == -1 && s.inside == LaneState::NoData });
    const QString wrong = Fixture::wrongIn(slices);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
    // Before: running up to its last kept event (it entered its unprotected section there, and nothing of that
    // section is known); after: where its events resume, on CPU 0, as the kernel said last.
    const auto& spans = lanes[0].spans;
    QCOMPARE(spans.front().state, LaneState::Running);
    QCOMPARE(spans.front().end, Fixture::kLostFrom);
    QCOMPARE(spans.back().start, Fixture::kLostTo);
    QCOMPARE(spans.back().cpu, std::int16_t(0));
}

// The kernel's records were lost although its ring was never found full (no kSwitchRecordsMayStop): the CPU is
// unknown from its last record kept, not only from where it counted the loss.
void TestSpans::lostSwitchRecordsLeaveTheCpuUnknownFromTheLastRecordKept()
{
    using Fixture = test::LossFixture;
    const auto lanes = buildSpans(Fixture::trace());
    const LaneSpans& lane = lanes[1];
    QCOMPARE(lane.gaps.size(), std::size_t(1));
    QVERIFY(lane.gaps[0].cpuOnly);
    QCOMPARE(lane.gaps[0].start, Fixture::kCpuUnknownFrom);
    QCOMPARE(lane.gaps[0].end, Fixture::kCpuUnknownTo);
    int inside = 0;
    for (const Span& s : lane.spans)
        if (s.start < Fixture::kCpuUnknownTo && s.end > Fixture::kCpuUnknownFrom) {
            ++inside;
            QCOMPARE(s.cpu, std::int16_t(-1));
            QCOMPARE(s.inside, LaneState::NoData);
            QVERIFY(claimsCpu(s.state)); // its own states stand: running, then holding "other"
        }
    QCOMPARE(inside, 2);
}

// The worker's last events, Finished among them, were lost: the collector closes the lane with a Lost event at
// the last event the ring had no room for. The lane ends there, not at the run's end, whatever the kernel
// said before.
void TestSpans::aThreadWhoseLastEventsWereLostEndsWithThem()
{
    const std::vector<Event> events { ev(0, EventKind::Started), ev(10, EventKind::LockAcquired, 1, 0),
        switchOut(20, true, 0), switchIn(30, 1), ev(80, EventKind::Lost, 0, 5000) };
    const auto lane = spansForLane(events, 1000);
    QCOMPARE(lane.spans.back().end, std::int64_t(80));
    QCOMPARE(lane.spans.back().state, LaneState::NoData);
    QCOMPARE(lane.spans.back().start, std::int64_t(10));
}

QTEST_GUILESS_MAIN(TestSpans)
#include "tst_spans.moc"

void TestSpans::kernelSwitchesShowTimeOffTheCpu()
{
    // Running throughout by its own events; the kernel says: preempted at 10, back on CPU 1 at 30, blocked
    // at 40, back at 50.
    const std::vector<Event> events { ev(0, EventKind::Started), switchOut(10, true, 0), switchIn(30, 1),
        switchOut(40, false, 1), switchIn(50, 1), ev(60, EventKind::Finished) };
    const auto spans = spansForLane(events, 100).spans;
    QCOMPARE(spans.size(), std::size_t(5));
    const LaneState expected[]
        = { LaneState::Running, LaneState::Queued, LaneState::Running, LaneState::Blocked, LaneState::Running };
    const std::int16_t cpus[] = { 0, -1, 1, -1, 1 };
    for (std::size_t i = 0; i < spans.size(); ++i) {
        QCOMPARE(spans[i].state, expected[i]);
        QCOMPARE(spans[i].cpu, cpus[i]); // off its CPU, a span is on none
    }
    QCOMPARE(spans[1].start, std::int64_t(10));
    QCOMPARE(spans[1].end, std::int64_t(30));
}

void TestSpans::lostSwitchRecordsLeaveTheCpuUnknown()
{
    // The kernel's ring was found full after its record at 10 (it may have dropped what followed); it counts
    // 7 lost records when it writes again, at 40. The worker's own events are all there: it takes lock 1 at
    // 20 and still holds it after the loss.
    const std::vector<Event> events { ev(0, EventKind::Started), switchIn(10, 0),
        { 10, kSwitchRecordsMayStop, 0, kUnknownCpu, EventKind::SwitchOut }, ev(20, EventKind::LockAcquired, 1),
        { 40, 7, kLostSwitchRecords, kUnknownCpu, EventKind::Lost }, switchIn(40, 1),
        ev(50, EventKind::LockReleased, 1), ev(60, EventKind::Finished) };
    const auto lane = spansForLane(events, 100);
    const auto& spans = lane.spans;
    QCOMPARE(spans.size(), std::size_t(5));
    const LaneState expected[]
        = { LaneState::Running, LaneState::Running, LaneState::LockHeld, LaneState::LockHeld, LaneState::Running };
    const std::int64_t starts[] = { 0, 10, 20, 40, 50 };
    const std::int16_t cpus[] = { 0, -1, -1, 1, 1 }; // no CPU is claimed while it is unknown
    for (std::size_t i = 0; i < spans.size(); ++i) {
        QCOMPARE(spans[i].state, expected[i]);
        QCOMPARE(spans[i].start, starts[i]);
        QCOMPARE(spans[i].cpu, cpus[i]);
        QCOMPARE(spans[i].inside == LaneState::NoData, i == 1 || i == 2); // the "no data" strip says so
    }
    QCOMPARE(lane.gaps.size(), std::size_t(1)); // from the last record kept to the loss's count
    QCOMPARE(lane.gaps[0].start, std::int64_t(10));
    QCOMPARE(lane.gaps[0].end, std::int64_t(40));
    QCOMPARE(lane.gaps[0].lost, std::uint64_t(7));
    QVERIFY(lane.gaps[0].cpuOnly);
}

void TestSpans::waitsLookTheSameOnAndOffTheCpu()
{
    const std::vector<Event> events { ev(0, EventKind::Started), ev(10, EventKind::LockWait, 1),
        switchOut(11, false, 0), switchIn(20, 0), ev(21, EventKind::LockAcquired, 1), ev(30, EventKind::Finished) };
    const auto spans = spansForLane(events, 100).spans;
    QCOMPARE(spans.size(), std::size_t(3));
    QCOMPARE(spans[1].state, LaneState::LockWait);
    QCOMPARE(spans[1].start, std::int64_t(10));
    QCOMPARE(spans[1].end, std::int64_t(21));
}

void TestSpans::waitsShowTheLocksStillHeld()
{
    // Worker 0 takes A (1), then waits for B (2) while worker 1, holding B, waits for A: a deadlock. Worker 0
    // is also preempted while it holds A.
    Trace trace;
    trace.endNs = 100;
    trace.lanes.push_back({ ev(0, EventKind::Started), ev(10, EventKind::LockAcquired, 1), switchOut(12, true, 0),
        switchIn(14, 0), ev(20, EventKind::LockWait, 2), ev(90, EventKind::Finished) });
    trace.lanes.push_back({ ev(0, EventKind::Started), ev(11, EventKind::LockAcquired, 2),
        ev(21, EventKind::LockWait, 1), ev(90, EventKind::Finished) });
    const auto lanes = buildSpans(trace);
    auto spanAt = [](const LaneSpans& lane, std::int64_t t) {
        for (const Span& s : lane.spans)
            if (s.start <= t && t < s.end)
                return s;
        return Span {};
    };
    const Span preempted = spanAt(lanes[0], 13);
    QCOMPARE(preempted.state, LaneState::Queued);
    QCOMPARE(preempted.inside, LaneState::LockHeld); // nobody waited for A yet
    QCOMPARE(preempted.insideLock, std::uint16_t(1));
    const Span waiting = spanAt(lanes[0], 50);
    QCOMPARE(waiting.state, LaneState::LockWait);
    QCOMPARE(waiting.lock, std::uint16_t(2));
    QCOMPARE(waiting.inside, LaneState::LockHeldContended); // worker 1 waits for A meanwhile
    QCOMPARE(waiting.insideLock, std::uint16_t(1));
    QCOMPARE(spanAt(lanes[1], 50).inside, LaneState::LockHeldContended);
}

void TestSpans::unprotectedSectionStaysOpenWhileItsWorkerSleeps()
{
    // slow_motion: a sleep between the read and the write of an unprotected increment.
    const std::vector<Event> events { ev(0, EventKind::Started), ev(10, EventKind::LockAcquired, 1, 0),
        ev(12, EventKind::Sleeping), ev(20, EventKind::Running), ev(25, EventKind::LockReleased, 1),
        ev(30, EventKind::Finished) };
    const auto spans = spansForLane(events, 100).spans;
    QCOMPARE(spans.size(), std::size_t(5));
    QCOMPARE(spans[1].state, LaneState::Unprotected);
    QCOMPARE(spans[2].state, LaneState::Sleeping);
    QCOMPARE(spans[2].inside, LaneState::Unprotected);
    QCOMPARE(spans[3].state, LaneState::Unprotected); // the section is still open after the sleep
    QCOMPARE(spans[4].state, LaneState::Running);
    QCOMPARE(spans[4].inside, LaneState::Running);
}
