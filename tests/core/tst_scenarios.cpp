#include "../support/runscenario.h"

#include <scenarios/registry.h>
#include <session/run.h>
#include <session/runcontroller.h>
#include <sync/instrumentedlock.h>
#include <sync/startbarrier.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>
#include <array>
#include <barrier>
#include <iterator>
#include <thread>

using namespace tl;

class TestScenarios : public QObject {
    Q_OBJECT
private slots:
    void startBarrierReleasesAllOrLetsAStopThrough();
    void unlockedCounterLosesUpdates();
    void lockedCounterIsExact_data();
    void lockedCounterIsExact();
    void lockedCounterNeverShowsALostUpdateLive_data();
    void lockedCounterNeverShowsALostUpdateLive();
    void poolShowsQueuedApartFromRunning();
    void switchingTheLockOffMidRunLosesUpdates();
    void lockEventsPairUp();
    void lockContentionReportsPerWorkerFigures();
    void threadsAreListedByName();
    void stopEndsTheRun_data();
    void stopEndsTheRun();
    void aRunStartedWhileThePictureCompletesReplacesIt();
    void naiveLockingDeadlocksAndTheCycleIsFound_data();
    void naiveLockingDeadlocksAndTheCycleIsFound();
    void safeStrategiesNeverDeadlock_data();
    void safeStrategiesNeverDeadlock();
    void aWaitWithADeadlineIsInNoDeadlockCycle_data();
    void aWaitWithADeadlineIsInNoDeadlockCycle();
    void stopEndsADeadlock();
    void failingTasksAddUpAndAreLogged();
    void everyHungTaskTimesOutAndTheRunEnds();
    void defaultsHangATaskAndCutOffNoHealthyOne();
    void theSeedPicksTheSameFailures();
    void inspectorAccountsForEveryLostUpdate();
    void boundedQueueDeliversEveryItemOnce_data();
    void boundedQueueDeliversEveryItemOnce();
};

namespace {
RunOutcome run(const QString& scenario, const QStringList& assignments)
{
    return test::runScenario(scenario, assignments);
}

// Every sample the collector took of one counter, in time order.
std::vector<std::int64_t> counterSamples(const Trace& trace, const QString& name)
{
    std::vector<std::int64_t> values;
    const auto it = std::find(trace.counterNames.begin(), trace.counterNames.end(), name);
    if (it == trace.counterNames.end())
        return values;
    const auto id = std::uint32_t(it - trace.counterNames.begin());
    for (const CounterSample& sample : trace.counterSamples)
        if (sample.counter == id)
            values.push_back(sample.value);
    return values;
}
}

void TestScenarios::startBarrierReleasesAllOrLetsAStopThrough()
{
    // Three workers: none passes before the last arrives, then all do.
    StartBarrier barrier(3);
    std::atomic<int> arrived { 0 }, passed { 0 };
    std::vector<std::thread> workers;
    for (int i = 0; i < 2; ++i)
        workers.emplace_back([&] {
            arrived.fetch_add(1);
            QVERIFY(barrier.arriveAndWait([] { return false; }));
            passed.fetch_add(1);
        });
    while (arrived.load() < 2)
        std::this_thread::yield();
    QCOMPARE(passed.load(), 0);
    QVERIFY(barrier.arriveAndWait([] { return false; }));
    for (auto& w : workers)
        w.join();
    QCOMPARE(passed.load(), 2);

    // A worker alone at the barrier of a stopped run goes on (its run is over), instead of waiting forever.
    StartBarrier lonely(2);
    QVERIFY(!lonely.arriveAndWait([] { return true; }));
}

void TestScenarios::unlockedCounterLosesUpdates()
{
    // A race shows up only when workers overlap, which on a loaded machine the scheduler need not grant (a short
    // worker can finish inside one time slice): so the race is forced. The barrier starts the workers together
    // and slow motion keeps each between its read and its write 1 ms of every increment, for 400 of them: for
    // nothing to be lost, each whole step of one worker would have to fall into another's few-µs gaps.
    const auto o = run(QStringLiteral("race-counter"),
        { QStringLiteral("lock=none"), QStringLiteral("workers=4"), QStringLiteral("increments=400"),
            QStringLiteral("slow_motion=1000") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    QCOMPARE(o.results[u"expected"].toInteger(), 1600);
    const qint64 lost = o.results[u"lost_updates"].toInteger();
    QCOMPARE(lost, 1600 - o.results[u"actual"].toInteger()); // 4 x 400 made, the counter says the rest
    // No lock was taken, so no worker reports acquiring, holding or waiting for one.
    for (const QJsonObject& w : o.workerFigures)
        QVERIFY2(!w.contains(u"acquisitions") && !w.contains(u"hold_ns"), qPrintable(QJsonDocument(w).toJson()));
    QVERIFY2(lost > 0, "the unprotected counter never lost an update");
}

void TestScenarios::lockedCounterIsExact_data()
{
    QTest::addColumn<QString>("lock");
    QTest::addColumn<QString>("backend");
    QTest::newRow("mutex, std::thread") << "mutex"
                                        << "std-thread";
    QTest::newRow("atomic, std::thread") << "atomic"
                                         << "std-thread";
    QTest::newRow("mutex, QThreadPool") << "mutex"
                                        << "qthreadpool";
}

// The seed: 5 threads x 100000 increments with the lock = 500000, every time.
void TestScenarios::lockedCounterIsExact()
{
    QFETCH(QString, lock);
    QFETCH(QString, backend);
    for (int i = 0; i < 3; ++i) {
        const auto o = run(
            QStringLiteral("race-counter"), { QStringLiteral("lock=") + lock, QStringLiteral("backend=") + backend });
        QCOMPARE(o.results[u"actual"].toInteger(), 500000);
        QCOMPARE(o.results[u"lost_updates"].toInteger(), 0);
    }
}

void TestScenarios::lockedCounterNeverShowsALostUpdateLive_data()
{
    QTest::addColumn<QString>("lock");
    QTest::addColumn<int>("increments");
    // Each worker's share long enough for the sampler's 10 ms ticks to fall inside it however the CPUs are
    // shared: fetch_add by one worker at a time (a loaded machine) does 4 M in ~20 ms, 40 M in ~200 ms.
    QTest::newRow("mutex") << "mutex" << 1'000'000;
    QTest::newRow("atomic") << "atomic" << 10'000'000;
}

// The live chart is read while the workers run: under a mutex or fetch_add, no sample may show a lost update.
void TestScenarios::lockedCounterNeverShowsALostUpdateLive()
{
    QFETCH(QString, lock);
    QFETCH(int, increments);
    const auto o = run(QStringLiteral("race-counter"),
        { QStringLiteral("lock=") + lock, QStringLiteral("workers=4"),
            QStringLiteral("increments=%1").arg(increments) });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    QCOMPARE(o.results[u"actual"].toInteger(), 4 * qint64(increments));
    const auto samples = counterSamples(*o.trace, QStringLiteral("lost_updates"));
    QVERIFY2(samples.size() >= 2, "the run was sampled fewer than twice");
    for (std::size_t i = 0; i < samples.size(); ++i)
        QVERIFY2(samples[i] == 0,
            qPrintable(
                QStringLiteral("sample %1 of %2 shows %3 lost updates").arg(i).arg(samples.size()).arg(samples[i])));
}

void TestScenarios::poolShowsQueuedApartFromRunning()
{
    const auto o = run(QStringLiteral("race-counter"),
        { QStringLiteral("backend=qthreadpool"), QStringLiteral("workers=8"), QStringLiteral("increments=1000") });
    QCOMPARE(o.trace->lanes.size(), std::size_t(8));
    for (const auto& events : o.trace->lanes) {
        std::vector<Event> lane; // the worker's own events, without the kernel's context switches
        std::copy_if(events.begin(), events.end(), std::back_inserter(lane),
            [](const Event& e) { return e.kind != EventKind::SwitchIn && e.kind != EventKind::SwitchOut; });
        QVERIFY(lane.size() >= 3);
        QCOMPARE(lane.front().kind, EventKind::Enqueued);
        QCOMPARE(lane[1].kind, EventKind::Started);
        QVERIFY(lane[1].time >= lane.front().time);
    }
}

void TestScenarios::switchingTheLockOffMidRunLosesUpdates()
{
    // Slow motion (0.5 ms between each read and write) makes the mutex run last 4 x 1000 x 0.5 ms = 2 s, so the
    // switch comes with most increments still to do, and once the lock is off every one of them races: the
    // race is forced, not left to the scheduler.
    RunController controller;
    QSignalSpy batches(&controller, &RunController::batchReady);
    QSignalSpy finished(&controller, &RunController::finished);
    ParamSet params(createScenario(QStringLiteral("race-counter"))->info().params);
    QVERIFY(params.assign(QStringLiteral("increments=1000"), nullptr));
    QVERIFY(params.assign(QStringLiteral("workers=4"), nullptr));
    QVERIFY(params.assign(QStringLiteral("lock=mutex"), nullptr));
    QVERIFY(params.assign(QStringLiteral("slow_motion=500"), nullptr));
    QVERIFY(controller.start(QStringLiteral("race-counter"), params));
    QVERIFY2(batches.wait(30000), "the run published nothing in 30 s");
    QVERIFY(controller.setLive(QStringLiteral("lock"), 0)); // none
    QVERIFY2(finished.wait(120000), "4 x 1000 increments did not finish within 120 s");
    const auto outcome = finished.first().first().value<RunOutcome>();
    QCOMPARE(outcome.results[u"expected"].toInteger(), 4000);
    QVERIFY2(outcome.results[u"lost_updates"].toInteger() > 0, "switching the mutex off never lost an update");
}

void TestScenarios::lockEventsPairUp()
{
    const auto o = run(QStringLiteral("lock-contention"),
        { QStringLiteral("workers=3"), QStringLiteral("iterations=300"), QStringLiteral("work_us=5"),
            QStringLiteral("hold_us=5") });
    QCOMPARE(o.trace->droppedEvents, std::uint64_t(0));
    for (const auto& lane : o.trace->lanes) {
        // Per worker, 300 times: acquired then released, preceded by a wait only when the lock was taken.
        int cycles = 0;
        bool held = false, waiting = false;
        for (const Event& e : lane) {
            if (e.kind != EventKind::LockWait && e.kind != EventKind::LockAcquired && e.kind != EventKind::LockReleased)
                continue;
            QCOMPARE(e.lock, std::uint16_t(1));
            switch (e.kind) {
            case EventKind::LockWait:
                QVERIFY(!held && !waiting);
                waiting = true;
                break;
            case EventKind::LockAcquired:
                QVERIFY(!held);
                held = true, waiting = false;
                break;
            default:
                QVERIFY(held);
                held = false;
                ++cycles;
            }
        }
        QCOMPARE(cycles, 300);
    }
}

void TestScenarios::lockContentionReportsPerWorkerFigures()
{
    const auto o = run(QStringLiteral("lock-contention"),
        { QStringLiteral("workers=4"), QStringLiteral("iterations=200"), QStringLiteral("lock=spinlock") });
    QCOMPARE(o.workerFigures.size(), std::size_t(4));
    for (const auto& w : o.workerFigures) {
        QCOMPARE(w[u"acquisitions"].toInteger(), 200);
        QVERIFY(w[u"hold_ns"].toInteger() >= 200 * 10'000); // held 10 µs each time
        QVERIFY(w.contains(u"wait_ns") && w.contains(u"longest_wait_ns"));
    }
    const double contention = o.results[u"contention"].toDouble();
    QVERIFY(contention >= 0 && contention < 1);
    QVERIFY(o.results[u"throughput_per_s"].toDouble() > 0);
    QCOMPARE(o.results[u"acquisitions"].toInteger(), 800);
}

void TestScenarios::threadsAreListedByName()
{
    const auto o = run(QStringLiteral("threads"), { QStringLiteral("threads=4"), QStringLiteral("sleep_ms=300") });
    const QJsonArray list = o.results[u"threads"].toArray();
    QCOMPARE(o.results[u"active_count"].toInt(), 5);
    QCOMPARE(list.size(), 5);
    QCOMPARE(list[0].toObject()[u"name"].toString(), QStringLiteral("MainThread"));
    for (int i = 1; i <= 4; ++i) {
        const QJsonObject t = list[i].toObject();
        QCOMPARE(t[u"name"].toString(), QStringLiteral("Thread-%1 (cpu_water)").arg(i)); // as CPython 3.10+ names it
        QVERIFY(t[u"id"].toInteger() > 0);
        QCOMPARE(t[u"state"].toString(), QStringLiteral("sleeping"));
    }
    QCOMPARE(o.trace->workers.size(), std::size_t(5));
}

void TestScenarios::stopEndsTheRun_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QStringList>("assignments");
    QTest::newRow("threads sleeping 10 min") << "threads" << QStringList { "sleep_ms=600000" };
    QTest::newRow("counter in slow motion") << "race-counter" << QStringList { "slow_motion=100000" };
    QTest::newRow("counter on a pool") << "race-counter"
                                       << QStringList { "backend=qthreadpool", "increments=10000000", "workers=16" };
    QTest::newRow("tasks hanging with a 60 s timeout")
        << "failures" << QStringList { "hang_rate=100", "timeout_ms=60000" };
    QTest::newRow("busy-polling consumers of a slow producer")
        << "producer-consumer" << QStringList { "waiting=busy-poll", "produce_us=1000000", "items=1000" };
    QTest::newRow("long critical sections")
        << "lock-contention" << QStringList { "hold_us=100000", "iterations=1000000", "lock=spinlock" };
}

void TestScenarios::stopEndsTheRun()
{
    QFETCH(QString, scenario);
    QFETCH(QStringList, assignments);
    RunController controller;
    QSignalSpy batches(&controller, &RunController::batchReady);
    QSignalSpy finished(&controller, &RunController::finished);
    ParamSet params(createScenario(scenario)->info().params);
    for (const auto& a : assignments)
        QVERIFY(params.assign(a, nullptr));
    QVERIFY(controller.start(scenario, params));
    QVERIFY2(batches.wait(30000), "the run published nothing in 30 s");
    controller.stop();
    // That the stop returns, not how fast: speed belongs in a benchmark, and a loaded machine is slow.
    QVERIFY2(finished.wait(60000), "the stopped run did not finish within 60 s");
    QCOMPARE(finished.first().first().value<RunOutcome>().status, RunOutcome::Status::Stopped);
    QVERIFY(!controller.isRunning());
}

// Run is available once the workers are done; a run started then discards the one completing: its outcome
// never arrives (the window would show it over the new run), and no batch of it follows the new start.
void TestScenarios::aRunStartedWhileThePictureCompletesReplacesIt()
{
    RunController controller;
    QSignalSpy started(&controller, &RunController::started);
    QSignalSpy finished(&controller, &RunController::finished);
    ParamSet params(createScenario(QStringLiteral("lock-contention"))->info().params);
    QVERIFY(params.assign(QStringLiteral("workers=2"), nullptr));
    std::vector<std::int64_t> batchStarts; // each batch's run, by its start time
    int batchesAtRestart = -1;
    connect(&controller, &RunController::batchReady, this,
        [&](const TraceBatchPtr& batch) { batchStarts.push_back(batch->startNs); });
    connect(&controller, &RunController::workersDone, this, [&] {
        if (batchesAtRestart >= 0)
            return;
        QVERIFY(controller.isCompleting());
        QVERIFY(!controller.isRunning());
        batchesAtRestart = int(batchStarts.size());
        QVERIFY(controller.start(QStringLiteral("lock-contention"), params));
    });
    QVERIFY(controller.start(QStringLiteral("lock-contention"), params));
    QVERIFY2(finished.wait(120000), "the second run did not finish");
    QCOMPARE(started.size(), 2);
    QCOMPARE(finished.size(), 1); // the second run's only
    const auto outcome = finished.first().first().value<RunOutcome>();
    QCOMPARE(outcome.status, RunOutcome::Status::Completed);
    QVERIFY(batchesAtRestart > 0 && std::size_t(batchesAtRestart) < batchStarts.size());
    const std::int64_t first = batchStarts.front();
    QVERIFY(outcome.trace->startNs != first);
    for (std::size_t i = std::size_t(batchesAtRestart); i < batchStarts.size(); ++i)
        QVERIFY2(batchStarts[i] == outcome.trace->startNs, "a batch of the discarded run reached the window");
}

void TestScenarios::naiveLockingDeadlocksAndTheCycleIsFound_data()
{
    QTest::addColumn<QString>("variant");
    QTest::addColumn<int>("workers");
    QTest::newRow("two locks, opposite orders") << "two-locks" << 2;
    QTest::newRow("five philosophers") << "philosophers" << 5;
}

void TestScenarios::naiveLockingDeadlocksAndTheCycleIsFound()
{
    QFETCH(QString, variant);
    QFETCH(int, workers);
    // Whether the workers' timing closes the circle is up to the scheduler; a few tries are bounded.
    QJsonObject results;
    for (int attempt = 0; attempt < 10 && !results[u"deadlock"].toBool(); ++attempt) {
        const auto o = run(QStringLiteral("deadlock"),
            { "variant=" + variant, QStringLiteral("strategy=naive"), QStringLiteral("keep_ms=0") });
        QCOMPARE(o.status, RunOutcome::Status::Completed); // broken by ThreadLab: the run still ends
        results = o.results;
    }
    QVERIFY2(results[u"deadlock"].toBool(), "naive locking never deadlocked");
    // The cycle: every worker, each holding the lock the one before it waits for.
    const QJsonArray cycle = results[u"cycle"].toArray();
    QCOMPARE(cycle.size(), workers);
    QSet<QString> who;
    for (qsizetype i = 0; i < cycle.size(); ++i) {
        who.insert(cycle[i][u"worker"].toString());
        QCOMPARE(cycle[i][u"holds"].toString(), cycle[(i + cycle.size() - 1) % cycle.size()][u"waits_for"].toString());
        QVERIFY(cycle[i][u"from_ns"].toInteger() < cycle[i][u"to_ns"].toInteger()); // its wait, for "show"
    }
    QCOMPARE(who.size(), workers);
    QVERIFY(results[u"rounds_done"].toInteger() < results[u"rounds_expected"].toInteger());
}

void TestScenarios::safeStrategiesNeverDeadlock_data()
{
    QTest::addColumn<QString>("strategy");
    QTest::addColumn<QString>("variant");
    for (const char* strategy : { "ordered", "scoped-lock", "try-lock" })
        for (const char* variant : { "two-locks", "philosophers" })
            QTest::newRow(qPrintable(QStringLiteral("%1, %2").arg(strategy, variant))) << strategy << variant;
}

void TestScenarios::safeStrategiesNeverDeadlock()
{
    QFETCH(QString, strategy);
    QFETCH(QString, variant);
    for (int attempt = 0; attempt < 3; ++attempt) {
        const auto o = run(QStringLiteral("deadlock"),
            { "strategy=" + strategy, "variant=" + variant, QStringLiteral("rounds=60"), QStringLiteral("hold_us=200"),
                QStringLiteral("keep_ms=0") });
        QCOMPARE(o.status, RunOutcome::Status::Completed);
        QVERIFY2(!o.results[u"deadlock"].toBool(), qPrintable(strategy + QStringLiteral(" deadlocked")));
        QCOMPARE(o.results[u"rounds_done"].toInteger(), o.results[u"rounds_expected"].toInteger());
    }
}

void TestScenarios::aWaitWithADeadlineIsInNoDeadlockCycle_data()
{
    QTest::addColumn<qint64>("patienceNs");
    QTest::addColumn<bool>("deadlock");
    QTest::newRow("try-lock with a deadline")
        << qint64(std::chrono::nanoseconds(std::chrono::minutes(10)).count()) << false;
    QTest::newRow("no deadline") << qint64(InstrumentedLock::kNoDeadline.count()) << true;
}

void TestScenarios::aWaitWithADeadlineIsInNoDeadlockCycle()
{
    // Two workers each hold one lock and wait for the other's; the graph is read while both are inside their
    // waits (the first giveUp() call comes after the wait is announced), as long as the scheduler keeps them
    // there: a waiter that gives up at a deadline ends its wait by itself, however long it is off the CPU, so
    // it is contention, not a deadlock; two waits with no deadline are one.
    QFETCH(qint64, patienceNs);
    QFETCH(bool, deadlock);
    LockRegistry registry;
    InstrumentedLock a(0, LockKind::Mutex, registry);
    InstrumentedLock b(1, LockKind::Mutex, registry);
    std::barrier<> bothWaiting(2);
    std::vector<LockRegistry::Edge> cycle;
    std::array<bool, 2> tookTheirs { true, true };
    auto worker = [&](std::uint32_t id, InstrumentedLock& mine, InstrumentedLock& theirs) {
        const auto rec = Recorder::create(id, 1024);
        LockStats stats;
        const auto never = [] { return false; };
        mine.lockWithin(*rec, stats, std::chrono::nanoseconds::zero(), never); // free: taken
        bothWaiting.arrive_and_wait(); // each holds its lock
        bool looked = false;
        const auto lookThenGiveUp = [&] {
            if (!looked) {
                bothWaiting.arrive_and_wait();
                if (id == 0)
                    cycle = LockRegistry::waitCycle(registry.snapshot(2));
                bothWaiting.arrive_and_wait();
            }
            looked = true;
            return true;
        };
        tookTheirs[id] = theirs.lockWithin(*rec, stats, std::chrono::nanoseconds(patienceNs), lookThenGiveUp);
        mine.unlock(*rec, stats, LockKind::Mutex);
    };
    std::thread first(worker, 0, std::ref(a), std::ref(b));
    worker(1, b, a);
    first.join();
    QVERIFY(!tookTheirs[0] && !tookTheirs[1]); // both gave up when told to
    QCOMPARE(cycle.size(), deadlock ? std::size_t(2) : std::size_t(0));
}

void TestScenarios::stopEndsADeadlock()
{
    RunController controller;
    QSignalSpy finished(&controller, &RunController::finished);
    bool deadlocked = false;
    connect(&controller, &RunController::batchReady, this,
        [&](const TraceBatchPtr& b) { deadlocked = deadlocked || b->liveResults.contains(u"deadlock"); });
    ParamSet params(createScenario(QStringLiteral("deadlock"))->info().params);
    QVERIFY(params.assign(QStringLiteral("keep_ms=600000"), nullptr)); // left deadlocked for ten minutes
    QVERIFY(params.assign(QStringLiteral("hold_us=5000"), nullptr));
    QVERIFY(params.assign(QStringLiteral("rounds=100000"), nullptr));
    QVERIFY(controller.start(QStringLiteral("deadlock"), params));
    QTRY_VERIFY_WITH_TIMEOUT(deadlocked, 20000);
    controller.stop();
    QVERIFY2(finished.wait(60000), "the stopped deadlock did not finish within 60 s");
    const auto outcome = finished.first().first().value<RunOutcome>();
    QCOMPARE(outcome.status, RunOutcome::Status::Stopped);
    QVERIFY(outcome.results[u"deadlock"].toBool());
    QVERIFY(!controller.isRunning());
}

namespace {
QSet<int> tasksWith(const QJsonObject& results, const QString& outcome)
{
    QSet<int> tasks;
    for (const auto& line : results[u"log"].toArray())
        if (line[u"outcome"].toString() == outcome)
            tasks.insert(line[u"task"].toInt());
    return tasks;
}
}

void TestScenarios::failingTasksAddUpAndAreLogged()
{
    const auto o = run(QStringLiteral("failures"),
        { QStringLiteral("tasks=40"), QStringLiteral("failure_rate=30"), QStringLiteral("hang_rate=20"),
            QStringLiteral("task_ms=2"), QStringLiteral("timeout_ms=100") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    const int succeeded = o.results[u"succeeded"].toInt();
    const int failed = o.results[u"failed"].toInt();
    const int timedOut = o.results[u"timed_out"].toInt();
    QCOMPARE(succeeded + failed + timedOut, 40);
    QVERIFY(failed > 0 && timedOut > 0 && succeeded > 0);
    const QJsonArray log = o.results[u"log"].toArray();
    QCOMPARE(log.size(), 40);
    for (const auto& line : log) {
        const QString text = line[u"log"].toString();
        QVERIFY(line[u"from_ns"].toInteger() <= line[u"to_ns"].toInteger()); // the task's run, for "show"
        if (line[u"outcome"].toString() == u"completed")
            QVERIFY(text.startsWith(u"Task completed: "));
        else if (line[u"outcome"].toString() == u"failed")
            QVERIFY(text.startsWith(u"Task failed: invalid input in task "));
    }
}

void TestScenarios::everyHungTaskTimesOutAndTheRunEnds()
{
    const auto o = run(QStringLiteral("failures"),
        { QStringLiteral("tasks=8"), QStringLiteral("workers=2"), QStringLiteral("hang_rate=100"),
            QStringLiteral("failure_rate=0"), QStringLiteral("timeout_ms=30") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    QCOMPARE(o.results[u"timed_out"].toInt(), 8);
    QCOMPARE(o.results[u"not_run"].toInt(), 0);
}

// At its defaults (4 workers, 50 ms tasks, a 200 ms timeout): the seed's draw hangs a task, whose caller
// times out. No task is cut off at its caller's timeout: a timeout stops only the caller's wait, so each
// task that began ends its own way, unless it still ran when the grace period ran out. On a machine busy
// enough to keep a task queued past its caller's timeout, cancel() takes it and it never runs.
void TestScenarios::defaultsHangATaskAndCutOffNoHealthyOne()
{
    const auto o = run(QStringLiteral("failures"), {});
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    const QJsonArray log = o.results[u"log"].toArray();
    QCOMPARE(log.size(), o.results[u"tasks"].toInt());
    int hung = 0;
    for (const auto& line : log) {
        const QString drawn = line[u"drawn"].toString();
        const QString ended = line[u"task_end"].toString();
        const QString task = QString::number(line[u"task"].toInt());
        hung += drawn == u"hang";
        if (drawn == u"hang")
            QVERIFY2(line[u"outcome"].toString() == u"timed out", qPrintable("hung task " + task + " returned"));
        const QString own = drawn == u"fail" ? QStringLiteral("failed")
            : drawn == u"succeed"            ? QStringLiteral("completed")
                                             : QString(); // a hung task has no end of its own
        const bool queuedPastTimeout = ended == u"cancelled" && line[u"cancel_returned"].toBool();
        QVERIFY2(ended == own || ended == u"ended after grace" || queuedPastTimeout,
            qPrintable(QStringLiteral("task %1, drawn to %2, ended %3 after %4 ms")
                           .arg(task, drawn, ended)
                           .arg(line[u"ran_ms"].toDouble())));
    }
    QVERIFY2(hung >= 1, "the defaults hang no task");
    QVERIFY(o.results[u"timed_out"].toInt() >= hung);
}

void TestScenarios::theSeedPicksTheSameFailures()
{
    const QStringList params { QStringLiteral("tasks=30"), QStringLiteral("failure_rate=40"),
        QStringLiteral("hang_rate=0"), QStringLiteral("task_ms=1"), QStringLiteral("timeout_ms=60000"),
        QStringLiteral("seed=7") };
    const auto first = run(QStringLiteral("failures"), params);
    const auto second = run(QStringLiteral("failures"), params);
    QVERIFY(!tasksWith(first.results, QStringLiteral("failed")).isEmpty());
    QCOMPARE(tasksWith(first.results, QStringLiteral("failed")), tasksWith(second.results, QStringLiteral("failed")));
}

namespace {
// The truth about one inspected run, worked out from its raw write log alone: the modification order (each
// write replaced exactly one value), the surviving chain (the final value, the write it was built on, and so
// on down to 0), and for each lost write the write that replaced the last value built on it.
struct WriteLogTruth {
    QString error; // empty when the log is consistent
    qint64 writes = 0;
    qint64 finalValue = 0;
    qint64 lost = 0;
    QMap<qint64, qint64> lostBy; // write id → how many writes it lost for good
};

WriteLogTruth truthOf(const QJsonArray& log)
{
    WriteLogTruth t;
    QHash<qint64, QJsonObject> byId;
    QHash<qint64, qint64> successor; // replaced write → the write that replaced it
    for (const auto& v : log) {
        const QJsonObject w = v.toObject();
        const qint64 id = w[u"write"].toInteger();
        if (w[u"wrote"].toInteger() != w[u"read"].toInteger() + 1)
            t.error = QStringLiteral("write %1 did not write read + 1").arg(id);
        if (byId.contains(id) || successor.contains(w[u"replaced_write"].toInteger()))
            t.error = QStringLiteral("write %1 or what it replaced appears twice").arg(id);
        byId.insert(id, w);
        successor.insert(w[u"replaced_write"].toInteger(), id);
    }
    auto valueOf = [&](qint64 id) { return id == 0 ? 0 : byId[id][u"wrote"].toInteger(); };
    QList<qint64> order;
    for (qint64 id = 0; successor.contains(id);) {
        id = successor[id];
        if (byId[id][u"replaced"].toInteger() != valueOf(byId[id][u"replaced_write"].toInteger()))
            t.error = QStringLiteral("write %1 replaced a value its predecessor did not write").arg(id);
        order.append(id);
    }
    if (order.size() != byId.size())
        t.error = QStringLiteral("%1 writes, but a chain of %2").arg(byId.size()).arg(order.size());
    for (auto it = byId.begin(); it != byId.end(); ++it)
        if (it->value(u"read").toInteger() != valueOf(it->value(u"read_write").toInteger()))
            t.error = QStringLiteral("write %1 read a value the write it read did not write").arg(it.key());
    if (!t.error.isEmpty() || order.isEmpty())
        return t;
    t.writes = order.size();
    t.finalValue = valueOf(order.last());
    auto buildsOn = [&](qint64 later, qint64 earlier) {
        for (qint64 id = later; id != 0; id = byId[id][u"read_write"].toInteger())
            if (id == earlier)
                return true;
        return false;
    };
    for (const qint64 id : order) {
        if (buildsOn(order.last(), id))
            continue; // on the surviving chain
        ++t.lost;
        qsizetype last = order.size();
        while (!buildsOn(order[--last], id)) { }
        t.lostBy[order[last + 1]] += 1;
    }
    return t;
}
}

void TestScenarios::inspectorAccountsForEveryLostUpdate()
{
    // Slow motion widens every race window, so stale writes lower the counter and later ones raise it again:
    // the case in which counting overwrote − read per write goes wrong.
    qint64 lost = 0;
    for (int attempt = 0; attempt < 5 && lost == 0; ++attempt) {
        const auto o = run(QStringLiteral("race-counter"),
            { QStringLiteral("lock=none"), QStringLiteral("workers=4"), QStringLiteral("inspect=40"),
                QStringLiteral("slow_motion=1000") });
        QCOMPARE(o.status, RunOutcome::Status::Completed);
        const WriteLogTruth truth = truthOf(o.results[u"write_log"].toArray());
        QVERIFY2(truth.error.isEmpty(), qPrintable(truth.error));
        QCOMPARE(truth.writes, 160); // every increment of 4 x 40 is in the log
        QCOMPARE(truth.finalValue, o.results[u"actual"].toInteger());
        QCOMPARE(truth.lost, 160 - o.results[u"actual"].toInteger());
        lost = o.results[u"lost_updates"].toInteger();
        QCOMPARE(lost, truth.lost);
        QCOMPARE(o.results[u"inspected_lost_updates"].toInteger(), truth.lost);
        // Each listed row is one write and exactly the number of writes it lost for good.
        QVERIFY(o.results[u"lost_update_list_complete"].toBool());
        QMap<qint64, qint64> listed;
        for (const auto& row : o.results[u"lost_update_list"].toArray()) {
            QVERIFY(row[u"from_ns"].toInteger() <= row[u"to_ns"].toInteger());
            listed.insert(row[u"write"].toInteger(), row[u"lost"].toInteger());
        }
        QCOMPARE(listed, truth.lostBy);
    }
    QVERIFY2(lost > 0, "the unprotected counter in slow motion never lost an update in 5 runs");

    const auto locked = run(QStringLiteral("race-counter"),
        { QStringLiteral("lock=mutex"), QStringLiteral("workers=4"), QStringLiteral("inspect=200") });
    const WriteLogTruth truth = truthOf(locked.results[u"write_log"].toArray());
    QVERIFY2(truth.error.isEmpty(), qPrintable(truth.error));
    QCOMPARE(truth.writes, 800);
    QCOMPARE(truth.lost, 0);
    QCOMPARE(locked.results[u"inspected_lost_updates"].toInteger(), 0);
    QCOMPARE(locked.results[u"interleaved_increments"].toInteger(), 0);
    QVERIFY(locked.results[u"lost_update_list"].toArray().isEmpty());
}

void TestScenarios::boundedQueueDeliversEveryItemOnce_data()
{
    QTest::addColumn<QString>("waiting");
    QTest::newRow("condition variable") << "condition-variable";
    QTest::newRow("busy polling") << "busy-poll";
}

void TestScenarios::boundedQueueDeliversEveryItemOnce()
{
    QFETCH(QString, waiting);
    const auto o = run(QStringLiteral("producer-consumer"),
        { "waiting=" + waiting, QStringLiteral("producers=3"), QStringLiteral("consumers=2"),
            QStringLiteral("items=300"), QStringLiteral("capacity=4"), QStringLiteral("produce_us=0"),
            QStringLiteral("consume_us=0") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    QCOMPARE(o.results[u"produced"].toInteger(), 900);
    QCOMPARE(o.results[u"consumed"].toInteger(), 900);
    QVERIFY(o.results[u"every_item_once"].toBool()); // all 900 distinct items, their sum exact
    QVERIFY(o.results[u"max_depth"].toInteger() <= 4); // put() never overfills the queue
}

QTEST_GUILESS_MAIN(TestScenarios)
#include "tst_scenarios.moc"
