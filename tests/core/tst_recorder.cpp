#include <run/collector.h>
#include <run/runcontext.h>
#include <trace/clock.h>
#include <trace/recorder.h>
#include <trace/spans.h>

#include <QTest>
#include <thread>

using namespace tl;

class TestRecorder : public QObject {
    Q_OBJECT
private slots:
    void eventsAreSixteenBytes();
    void manyThreadsLoseNothing();
    void overflowIsMarkedWhereItHappened();
    void aLaneWhoseLastEventsWereLostEndsWhereTheyWere();
    void ticksBecomeMonotonicNanoseconds_data();
    void ticksBecomeMonotonicNanoseconds();
};

void TestRecorder::eventsAreSixteenBytes()
{
    // Four to a cache line; the ring's memory per event is what a user can predict.
    QCOMPARE(sizeof(Event), std::size_t(16));
    QCOMPARE(Recorder::bytesFor(1024) - sizeof(Recorder), std::size_t(1024 * 16));
}

// Eight writers record while a reader drains concurrently: every event arrives once, in order.
void TestRecorder::manyThreadsLoseNothing()
{
    constexpr int kThreads = 8;
    constexpr std::int32_t kEvents = 200'000;
    std::vector<Recorder::Owned> recs;
    for (int i = 0; i < kThreads; ++i)
        recs.push_back(Recorder::create(std::uint32_t(i), 4096));

    std::atomic<int> running { kThreads };
    std::vector<std::int64_t> received(kThreads, 0);
    std::vector<bool> ordered(kThreads, true);
    std::thread reader([&] {
        auto drainAll = [&] {
            for (std::size_t r = 0; r < recs.size(); ++r)
                recs[r]->drain([&](std::span<const Event> events) {
                    for (const Event& e : events) {
                        if (e.kind == EventKind::Lost)
                            continue;
                        auto& n = received[r];
                        if (e.value != n)
                            ordered[r] = false;
                        ++n;
                    }
                });
        };
        while (running.load() > 0)
            drainAll();
        drainAll();
    });
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            for (std::int32_t i = 0; i < kEvents;) {
                // Keep every value: on a full ring, retry rather than drop, so the test can check order. A
                // retry after a drop leaves a Lost marker first; the reader counts only Marks.
                const auto before = recs[t]->dropped();
                recs[t]->record(EventKind::Mark, i);
                if (recs[t]->dropped() == before)
                    ++i;
                else
                    std::this_thread::yield();
            }
            running.fetch_sub(1);
        });
    }
    for (auto& w : writers)
        w.join();
    reader.join();
    for (int t = 0; t < kThreads; ++t) {
        QCOMPARE(received[t], std::int64_t(kEvents));
        QVERIFY(ordered[t]);
    }
}

// A full ring drops, counts, and marks the place: the worker's next event is preceded by a Lost marker
// carrying the count, so the lane can show a gap from the last event kept to the first after the loss.
void TestRecorder::overflowIsMarkedWhereItHappened()
{
    const auto owned = Recorder::create(0, 1024);
    Recorder& rec = *owned;
    QCOMPARE(rec.capacity(), std::size_t(1024));
    for (int i = 0; i < 5000; ++i)
        rec.record(EventKind::Mark, i);
    const std::uint64_t kept = 1023; // one slot stays free for the marker
    QCOMPARE(rec.dropped(), std::uint64_t(5000 - kept));
    QCOMPARE(rec.unmarkedLost(), std::uint64_t(5000 - kept));
    std::vector<Event> first;
    rec.drain([&](std::span<const Event> events) { first.insert(first.end(), events.begin(), events.end()); });
    QCOMPARE(first.size(), std::size_t(kept));
    QCOMPARE(first.back().value, std::int32_t(kept - 1)); // the oldest events are kept, later ones dropped

    rec.record(EventKind::Mark, 7);
    std::vector<Event> second;
    rec.drain([&](std::span<const Event> events) { second.insert(second.end(), events.begin(), events.end()); });
    QCOMPARE(second.size(), std::size_t(2));
    QCOMPARE(second[0].kind, EventKind::Lost);
    QCOMPARE(std::uint64_t(second[0].value), 5000 - kept);
    QVERIFY(second[0].time >= first.back().time);
    QCOMPARE(second[0].time, second[1].time); // the gap ends where recording resumed
    QCOMPARE(second[1].value, std::int32_t(7));
    QCOMPARE(rec.unmarkedLost(), std::uint64_t(0));
    QCOMPARE(rec.dropped(), std::uint64_t(5000 - kept)); // the total stays
}

// A worker records until its ring is full, then finishes with nothing more kept (its Finished lost too), and
// the run goes on a while: the lane ends with the worker's last event, kept or not, not at the run's end.
void TestRecorder::aLaneWhoseLastEventsWereLostEndsWhereTheyWere()
{
    qputenv("THREADLAB_RING_EVENTS", "16");
    RunContext ctx { ParamSet() };
    qunsetenv("THREADLAB_RING_EVENTS");
    const std::uint32_t worker = ctx.addWorker(QStringLiteral("worker-1"));
    Recorder& rec = ctx.recorder(worker);
    QCOMPARE(rec.capacity(), std::size_t(16));
    Trace trace;
    Collector collector(ctx, trace, {}, BatchContent::ProgressOnly);
    rec.record(EventKind::Started);
    for (int i = 0; i < 100; ++i)
        rec.record(EventKind::Mark, i);
    rec.record(EventKind::Finished);
    const std::int64_t finished = clock::monotonicNs();
    QVERIFY(rec.unmarkedLost() > 0);
    collector.start(); // drains the ring; the run then lasts 100 ms more, as others' workers would make it
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    collector.finish();
    const auto lane = spansForLane(trace.lanes.at(worker), trace.endNs);
    QVERIFY(!lane.spans.empty());
    QCOMPARE(lane.spans.back().state, LaneState::NoData);
    // Ticks become ns by a calibration good to well under 1 ms (ticksBecomeMonotonicNanoseconds).
    QVERIFY2(lane.spans.back().end <= finished + 1'000'000,
        qPrintable(QStringLiteral("the lane ends %1 ms after its worker finished")
                       .arg(double(lane.spans.back().end - finished) / 1e6)));
}

void TestRecorder::ticksBecomeMonotonicNanoseconds_data()
{
    QTest::addColumn<int>("source");
    QTest::newRow("tsc") << int(clock::TickSource::Tsc);
    QTest::newRow("clock_monotonic") << int(clock::TickSource::Monotonic);
}

// Converted times land on CLOCK_MONOTONIC, the clock child processes share. Both tick sources are checked,
// whichever this process records with (the TSC row needs a CPU with an invariant TSC).
void TestRecorder::ticksBecomeMonotonicNanoseconds()
{
    QFETCH(int, source);
    const auto tickSource = clock::TickSource(source);
    if (tickSource == clock::TickSource::Tsc && !clock::hasInvariantTsc())
        QSKIP("this CPU has no invariant TSC (constant_tsc + nonstop_tsc), so ThreadLab records on CLOCK_MONOTONIC");
    ClockSync sync(tickSource);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    sync.calibrate();
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    const std::int64_t before = clock::monotonicNs();
    const std::uint64_t ticks = clock::read(tickSource);
    const std::int64_t after = clock::monotonicNs();
    const std::int64_t converted = sync.toNs(ticks);
    // Ticks of the TSC are not nanoseconds: an identity conversion would miss by seconds, not microseconds.
    QVERIFY2(converted >= before - 50'000 && converted <= after + 50'000,
        qPrintable(QStringLiteral("converted %1 not within [%2, %3]").arg(converted).arg(before).arg(after)));
    if (tickSource == clock::TickSource::Tsc)
        QVERIFY2(std::llabs(std::int64_t(ticks) - converted) > 1'000'000,
            "TSC ticks and CLOCK_MONOTONIC ns coincide: the TSC path was not taken");
}

QTEST_GUILESS_MAIN(TestRecorder)
#include "tst_recorder.moc"
