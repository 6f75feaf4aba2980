#include <run/collector.h>
#include <run/runcontext.h>
#include <trace/clock.h>
#include <trace/recorder.h>
#include <trace/spans.h>

#include <scenarios/registry.h>
#include <session/run.h>

#include <QTest>
#include <csignal>
#include <mutex>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace tl;

class TestRecorder : public QObject {
    Q_OBJECT
private slots:
    void eventsAreSixteenBytes();
    void manyThreadsLoseNothing();
    void aGrowingRecorderKeepsEverythingWhileNobodyDrains();
    void aSpentBudgetLeavesOneGapFromTheLastKeptEventToTheExit();
    void theBatchesCarryTheWholeTimeline_data();
    void theBatchesCarryTheWholeTimeline();
    void overflowIsMarkedWhereItHappened();
    void aLaneWhoseLastEventsWereLostEndsWhereTheyWere();
    void anEventAfterTheWriterWasKilledIsTheLastOneSeen();
    void ticksBecomeMonotonicNanoseconds_data();
    void ticksBecomeMonotonicNanoseconds();
};

void TestRecorder::eventsAreSixteenBytes()
{
    // Four to a cache line; the ring's memory per event is what a user can predict.
    QCOMPARE(sizeof(Event), std::size_t(16));
    QCOMPARE(Recorder::bytesFor(1024) - Recorder::bytesFor(512), std::size_t(512 * 16));
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

// A writer hands over full chunks and takes fresh ones: a collector that does not drain at all for a
// while (a loaded machine, a long page-fault storm) costs memory, never events.
void TestRecorder::aGrowingRecorderKeepsEverythingWhileNobodyDrains()
{
    constexpr std::int32_t kEvents = 3'000'000; // 46 chunks of 1 MiB
    RecordingBudget budget(std::size_t(1) << 30);
    const auto rec = Recorder::create(0, budget);
    for (std::int32_t i = 0; i < kEvents; ++i)
        rec->record(EventKind::Mark, i);
    QCOMPARE(rec->dropped(), std::uint64_t(0));
    QCOMPARE(rec->pending(), std::uint64_t(kEvents));
    std::int32_t expected = 0;
    bool ordered = true;
    rec->drain([&](std::span<const Event> events) {
        for (const Event& e : events)
            ordered = ordered && e.kind == EventKind::Mark && e.value == expected++;
    });
    QVERIFY(ordered);
    QCOMPARE(expected, kEvents);
    QCOMPARE(budget.spentAtNs(), std::int64_t(0));
    QCOMPARE(budget.used(), std::size_t(46) << 20); // each chunk started is charged what its events take
}

// With the budget spent every later event of the in-process workers is dropped, so each lane has one gap:
// from its worker's last kept event (known from the worker's own sequence numbers, the oracle) to its exit.
// Nothing after that last event is claimed, and the lane does not outlive the worker.
void TestRecorder::aSpentBudgetLeavesOneGapFromTheLastKeptEventToTheExit()
{
    constexpr int kWorkers = 2;
    constexpr std::int32_t kEvents = 20'000;
    RecordingBudget::choose(std::size_t(5) * 1024 * sizeof(Event)); // five 1024-event chunks for the run
    qputenv("THREADLAB_CHUNK_EVENTS", "1024");
    RunContext ctx { ParamSet() };
    RecordingBudget::choose(0);
    std::vector<std::uint32_t> ids;
    for (int w = 0; w < kWorkers; ++w)
        ids.push_back(ctx.addWorker(QStringLiteral("worker-%1").arg(w + 1)));
    qunsetenv("THREADLAB_CHUNK_EVENTS");
    Trace trace;
    Collector collector(ctx, trace, {}, BatchContent::ProgressOnly);
    collector.start();
    std::vector<std::int64_t> exitedBefore(kWorkers), exitedAfter(kWorkers);
    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w)
        threads.emplace_back([&, w] {
            Recorder& rec = ctx.recorder(ids[std::size_t(w)]);
            rec.record(EventKind::Started);
            for (std::int32_t i = 0; i < kEvents; ++i)
                rec.record(EventKind::Mark, i);
            exitedBefore[std::size_t(w)] = clock::monotonicNs();
            rec.record(EventKind::Finished);
            exitedAfter[std::size_t(w)] = clock::monotonicNs();
        });
    for (auto& t : threads)
        t.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the run goes on after them
    collector.finish();
    QVERIFY(ctx.recordingBudget().spentAtNs() > 0);
    QCOMPARE(trace.recordingBudgetSpentNs, ctx.recordingBudget().spentAtNs());
    std::uint64_t keptMarks = 0;
    for (int w = 0; w < kWorkers; ++w) {
        const auto& events = trace.lanes.at(ids[std::size_t(w)]);
        // The kept marks are the worker's first ones, in sequence; the last of them is where the gap begins.
        std::int32_t next = 0;
        std::int64_t lastKept = 0;
        for (const Event& e : events)
            if (e.kind == EventKind::Mark) {
                QCOMPARE(e.value, next++);
                lastKept = e.time;
            }
        QVERIFY2(next < kEvents, "the budget was meant to run out before the worker finished");
        keptMarks += std::uint64_t(next);
        const auto lane = spansForLane(events, trace.endNs);
        QVERIFY(!lane.spans.empty());
        const Span& gap = lane.spans.back();
        QCOMPARE(gap.state, LaneState::NoData);
        QCOMPARE(lane.gaps.size(), std::size_t(1));
        QCOMPARE(lane.gaps.front().lost, std::uint64_t(kEvents - next + 1)); // the marks and the Finished
        QVERIFY2(std::llabs(gap.start - lastKept) <= 1000, qPrintable(QString::number(gap.start - lastKept)));
        // The Finished that was lost is stamped between the worker's own two clock reads around it (within
        // the calibration's error): the lane ends at the exit, not at the run's end 50 ms later.
        QVERIFY2(gap.end >= exitedBefore[std::size_t(w)] - 1000 && gap.end <= exitedAfter[std::size_t(w)] + 1000,
            qPrintable(QStringLiteral("the gap ends %1 ns after the exit").arg(gap.end - exitedAfter[std::size_t(w)])));
        for (std::size_t i = 0; i + 1 < lane.spans.size(); ++i)
            QVERIFY(lane.spans[i].end <= gap.start);
    }
    // Five chunks' worth were kept, no more (the first marker-free chunk of each worker included).
    QVERIFY2(keptMarks <= 5 * 1024, qPrintable(QString::number(keptMarks)));
}

void TestRecorder::theBatchesCarryTheWholeTimeline_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QStringList>("assignments");
    QTest::newRow("lock-contention") << QStringLiteral("lock-contention") << QStringList {};
    QTest::newRow("race-counter, lost events")
        << QStringLiteral("race-counter") << QStringList { "workers=3", "increments=200000", "lock=none" };
    QTest::newRow("producer-consumer") << QStringLiteral("producer-consumer") << QStringList {};
    QTest::newRow("lock-contention, drained in slices") << QStringLiteral("lock-contention") << QStringList {};
}

// The window keeps the spans the collector's batches carried as the run's timeline, without building it
// again from the events at the end: they must be what spansForLane builds from the stored lanes (the oracle
// the exports use), span for span, including gaps, marks and contended holds.
void TestRecorder::theBatchesCarryTheWholeTimeline()
{
    QFETCH(QString, scenario);
    QFETCH(QStringList, assignments);
    auto s = createScenario(scenario);
    ParamSet params(s->info().params);
    for (const QString& a : assignments)
        QVERIFY(params.assign(a, nullptr));
    std::vector<LaneSpans> live;
    std::mutex mutex;
    // Small fixed rings for the lossy row, so gaps come and go during the run.
    if (scenario == u"race-counter")
        qputenv("THREADLAB_RING_EVENTS", "1024");
    // 20 µs of the run a tick: the collector falls behind at once and completes the run slice by slice
    // after the workers, merging the kernel's switch records into lanes drained only partly.
    const bool sliced = QByteArray(QTest::currentDataTag()).contains("slices");
    // Without the kernel's switch records, which may split a span after the live view showed it (they
    // settle for 100 ms), every span shown in progress must hold in the final picture for as long as shown.
    if (sliced) {
        qputenv("THREADLAB_SLICE_NS", "20000");
        qputenv("THREADLAB_CONTEXT_SWITCHES", "off");
    }
    int batchesBehind = 0;
    std::vector<std::pair<std::size_t, Span>> shownOpen;
    Run run(std::make_unique<ScenarioSource>(std::move(s)), params);
    run.setBatchSink([&](TraceBatchPtr batch) {
        std::lock_guard lock(mutex);
        live.resize(std::max(live.size(), batch->lanes.size()));
        for (std::size_t w = 0; w < batch->lanes.size(); ++w) {
            live[w].spans.append(std::span<const Span>(batch->lanes[w].spans));
            live[w].gaps.insert(live[w].gaps.end(), batch->lanes[w].gaps.begin(), batch->lanes[w].gaps.end());
            live[w].marks.insert(live[w].marks.end(), batch->lanes[w].marks.begin(), batch->lanes[w].marks.end());
            QVERIFY(!batch->lanes[w].hasOpen || batch->nowNs < INT64_MAX);
            if (batch->lanes[w].hasOpen)
                shownOpen.emplace_back(w, batch->lanes[w].open);
        }
        batchesBehind += batch->pendingEvents > 0;
    });
    const RunOutcome outcome = run.execute();
    qunsetenv("THREADLAB_RING_EVENTS");
    qunsetenv("THREADLAB_SLICE_NS");
    qunsetenv("THREADLAB_CONTEXT_SWITCHES");
    if (sliced)
        QVERIFY2(batchesBehind > 10, qPrintable(QString::number(batchesBehind)));
    // However late the collector caught up, the run ends with its workers (the lanes' last spans with it).
    QVERIFY2(outcome.trace->endNs <= outcome.trace->startNs + outcome.durationNs + 1'000'000,
        qPrintable(QStringLiteral("the trace ends %1 ms after the workers")
                       .arg(double(outcome.trace->endNs - outcome.trace->startNs - outcome.durationNs) / 1e6)));
    markContendedHolds(live);
    const auto built = buildSpans(*outcome.trace);
    QCOMPARE(live.size(), built.size());
    for (std::size_t w = 0; w < built.size(); ++w) {
        QCOMPARE(live[w].spans.size(), built[w].spans.size());
        for (std::size_t i = 0; i < built[w].spans.size(); ++i) {
            const Span& a = live[w].spans[i];
            const Span& b = built[w].spans[i];
            QVERIFY2(a.start == b.start && a.end == b.end && a.state == b.state && a.cpu == b.cpu && a.lock == b.lock
                    && a.inside == b.inside && a.insideLock == b.insideLock,
                qPrintable(QStringLiteral("lane %1 span %2: live %3 [%4, %5] vs built %6 [%7, %8]")
                               .arg(w)
                               .arg(i)
                               .arg(laneStateName(a.state))
                               .arg(a.start)
                               .arg(a.end)
                               .arg(laneStateName(b.state))
                               .arg(b.start)
                               .arg(b.end)));
        }
        QCOMPARE(live[w].gaps.size(), built[w].gaps.size());
        for (std::size_t g = 0; g < built[w].gaps.size(); ++g)
            QVERIFY(live[w].gaps[g].start == built[w].gaps[g].start && live[w].gaps[g].end == built[w].gaps[g].end
                && live[w].gaps[g].lost == built[w].gaps[g].lost);
        QCOMPARE(live[w].marks.size(), built[w].marks.size());
    }
    for (const auto& [w, open] : sliced ? shownOpen : decltype(shownOpen) {}) {
        const auto& spans = built[w].spans;
        std::size_t i = 0;
        while (i < spans.size() && spans[i].start < open.start)
            ++i;
        // Whether a hold was contended is known only once the run is whole.
        const auto held = [](LaneState s) { return s == LaneState::LockHeldContended ? LaneState::LockHeld : s; };
        QVERIFY(i < spans.size() && spans[i].start == open.start && held(spans[i].state) == held(open.state));
        // (Within the clock calibration's drift between two drains, a microsecond or two.)
        QVERIFY2(spans[i].end + 10'000 >= open.end,
            qPrintable(QStringLiteral("lane %1: %2 shown in progress %3 ms past its end")
                           .arg(w)
                           .arg(laneStateName(open.state))
                           .arg(double(open.end - spans[i].end) / 1e6)));
    }
    if (scenario == u"race-counter")
        QVERIFY2(outcome.trace->droppedEvents > 0, "1024-event rings kept every event: no gap was compared");
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
    const std::uint64_t kept = 1024; // the marker goes first into the next chunk
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
    const std::uint32_t worker = ctx.addWorker(QStringLiteral("worker-1"));
    qunsetenv("THREADLAB_RING_EVENTS");
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

// A child process writes into a recorder both map, is killed at an arbitrary instruction (inside record(),
// often), and the parent then records its death there, as Children does: the collector must see that
// death as the lane's last event, after every event the child published, never hidden behind one the child
// stored and did not publish.
void TestRecorder::anEventAfterTheWriterWasKilledIsTheLastOneSeen()
{
    constexpr std::size_t kCapacity = 1 << 14; // four chunks: the writer crosses them often
    const std::size_t bytes = Recorder::bytesFor(kCapacity);
    void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    QVERIFY(memory != MAP_FAILED);
    int hidden = 0;
    for (int round = 0; round < 60; ++round) {
        Recorder* rec = Recorder::createIn(memory, 0, kCapacity);
        const pid_t child = ::fork();
        if (child == 0) {
            for (std::int32_t i = 1;; ++i)
                rec->record(EventKind::Mark, i);
        }
        QVERIFY(child > 0);
        // Drain while it writes, so it never stops at a full ring; kill it after a varying while.
        std::int32_t last = 0;
        bool ordered = true;
        auto drain = [&] {
            rec->drain([&](std::span<const Event> events) {
                for (const Event& e : events) {
                    if (e.kind != EventKind::Mark)
                        continue;
                    ordered = ordered && e.value > last;
                    last = e.value;
                }
            });
        };
        const std::int64_t until = clock::monotonicNs() + 200'000 + round * 37'000;
        while (clock::monotonicNs() < until)
            drain();
        ::kill(child, SIGKILL);
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        drain(); // as the collector does meanwhile: the ring has room again
        rec->takeOverFromDeadWriter();
        rec->record(EventKind::Exited, -SIGKILL);
        EventKind lastKind = EventKind::Mark;
        rec->drain([&](std::span<const Event> events) {
            for (const Event& e : events) {
                if (e.kind == EventKind::Mark) {
                    ordered = ordered && e.value > last;
                    last = e.value;
                }
                lastKind = e.kind;
            }
        });
        QVERIFY2(ordered, "the child's events arrive once each, in order");
        hidden += lastKind != EventKind::Exited;
    }
    ::munmap(memory, bytes);
    QCOMPARE(hidden, 0);
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
