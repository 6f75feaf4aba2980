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
};

namespace {
Event ev(std::int64_t t, EventKind kind, std::uint16_t lock = 0, std::int64_t value = 1)
{
    return { t, value, 0, lock, 0, kind };
}
}

void TestSpans::statesFollowEvents()
{
    const std::vector<Event> events { ev(0, EventKind::Enqueued), ev(10, EventKind::Started),
        ev(20, EventKind::LockWait, 1), ev(30, EventKind::LockAcquired, 1), ev(45, EventKind::LockReleased, 1),
        ev(50, EventKind::Sleeping), ev(80, EventKind::Running), ev(90, EventKind::Finished) };
    const auto spans = spansForLane(events, 1000);
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
    auto holdOf = [](const std::vector<Span>& spans) {
        for (const auto& s : spans)
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
    const auto spans = spansForLane(events, 100);
    QCOMPARE(spans.size(), std::size_t(3));
    QCOMPARE(spans[1].state, LaneState::Unprotected);
    QCOMPARE(spans[2].state, LaneState::Running);
}

void TestSpans::droppedEventsLeaveNoBrokenSpans()
{
    // A release without its acquire (the acquire was dropped) must not underflow or invert time.
    const std::vector<Event> events { ev(0, EventKind::Started), ev(10, EventKind::LockReleased, 1),
        ev(20, EventKind::LockAcquired, 2), ev(30, EventKind::Finished) };
    const auto spans = spansForLane(events, 100);
    for (const auto& s : spans)
        QVERIFY(s.end > s.start);
    QCOMPARE(spans.back().state, LaneState::LockHeld);
}

QTEST_GUILESS_MAIN(TestSpans)
#include "tst_spans.moc"
