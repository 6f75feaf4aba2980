#include "../support/runscenario.h"

#include <algorithm>
#include <processes/ipcregistry.h>
#include <processes/sharedsegment.h>
#include <processes/sharedsemaphore.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <limits>
#include <sys/sem.h>
#include <sys/shm.h>
#include <thread>
#include <unistd.h>

using namespace tl;

namespace {
// System V segments that this test process created and that still exist (their creator pid is ours): the
// rest of the machine is none of our business.
int ourSegments()
{
    QFile file(QStringLiteral("/proc/sysvipc/shm"));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    int count = 0;
    file.readLine(); // the header
    while (!file.atEnd()) {
        const QList<QByteArray> fields = file.readLine().simplified().split(' ');
        count += fields.size() > 4 && fields[4].toLongLong() == getpid();
    }
    return count;
}

// The ledger in which this process lists every IPC key it has made and not yet removed.
QStringList ourLedgers()
{
    return QDir(IpcRegistry::directory()).entryList({ QStringLiteral("%1-*.keys").arg(getpid()) }, QDir::Files);
}

QJsonObject summaryOf(const QString& scenario, const QStringList& assignments)
{
    const RunOutcome outcome = test::runScenario(scenario, assignments);
    return summaryJson(outcome);
}

QJsonArray childRows(const QJsonObject& summary)
{
    QJsonArray rows = summary[u"processes"].toArray();
    rows.removeFirst(); // ThreadLab itself
    return rows;
}
}

// Scenarios with real child processes (the threadlab executable in its child mode): what they report is
// what the OS says, the seed's numbers come out, and nothing of ours outlives a run.
class TestProcesses : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void childrenReportTheirPidsAndOurs();
    void parametersArriveIntact_data();
    void parametersArriveIntact();
    void killedChildIsReportedAndTheOthersFinish();
    void sharedMemoryGivesTheSeedsNumbers();
    void sharedMemoryWithoutTheLockLosesUpdates_data();
    void sharedMemoryWithoutTheLockLosesUpdates();
    void sharedMemoryWithTheSemaphoreNeverDoes();
    void sharedMemoryChildrenStartTogether();
    void managerGivesTheSeedsDictionary_data();
    void managerGivesTheSeedsDictionary();
    void blockingConsumerGetsEveryItem_data();
    void blockingConsumerGetsEveryItem();
    void checkEmptyConsumerMissesItems();
    void seedOrderProducesEverythingFirst_data();
    void seedOrderProducesEverythingFirst();
    void ipcThroughputMeasuresEveryMechanismAndSize();
    void stopEndsChildrenAndLeavesNothing();
    void objectsAreNewPrivateAndListedById();
    void squattedObjectsAreNeverAdopted();
    void cleanupAfterSigkillRemovesThatRunsObjectsById();
    void cleanupRemovesOnlyObjectsStillTheirs();
    void sharedMemoryWithAKilledChildAddsUp_data();
    void sharedMemoryWithAKilledChildAddsUp();
    void queuePipeWithAKilledProducerConsumesNoMoreThanProduced_data();
    void queuePipeWithAKilledProducerConsumesNoMoreThanProduced();
    void managerStoppedReadsAsStopped();
    void ipcThroughputWithLargeSizesStops();
    void noSegmentOrSemaphoreOutlivesARun();
};

void TestProcesses::initTestCase()
{
    QVERIFY2(QFile::exists(qEnvironmentVariable("THREADLAB_CHILD_EXE")), "THREADLAB_CHILD_EXE must name threadlab");
    QVERIFY2(ourSegments() == 0, "this process made segments before any run");
}

void TestProcesses::childrenReportTheirPidsAndOurs()
{
    const QJsonObject summary = summaryOf(QStringLiteral("child-processes"), { QStringLiteral("work_ms=0") });
    QCOMPARE(summary[u"status"].toString(), QStringLiteral("completed"));
    const QJsonArray rows = childRows(summary);
    QCOMPARE(rows.size(), 3);
    const QJsonArray reports = summary[u"results"][u"children"].toArray();
    QCOMPARE(reports.size(), 3);
    for (int i = 0; i < 3; ++i) {
        const QJsonObject row = rows[i].toObject();
        const QJsonObject report = reports[i].toObject();
        // What the child saw for itself equals what the parent's QProcess says, and its parent is us.
        QCOMPARE(report[u"pid"].toInteger(), row[u"pid"].toInteger());
        QCOMPARE(report[u"ppid"].toInteger(), qint64(getpid()));
        QCOMPARE(row[u"ppid"].toInteger(), qint64(getpid()));
        QCOMPARE(row[u"exit_code"].toInt(-1), 0);
    }
    QCOMPARE(summary[u"processes"][0][u"pid"].toInteger(), qint64(getpid()));
    QVERIFY(summary[u"results"][u"ppids_match"].toBool());
}

void TestProcesses::parametersArriveIntact_data()
{
    QTest::addColumn<QString>("pass");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QJsonValue>("expected");
    QTest::newRow("positional") << "positional"
                                << "number" << QJsonValue(10);
    QTest::newRow("keyword") << "keyword"
                             << "name" << QJsonValue(QStringLiteral("Child-1"));
    QTest::newRow("complex") << "complex"
                             << "settings"
                             << QJsonValue(QJsonArray { QStringLiteral("debug=True"), QStringLiteral("log_level=info"),
                                    QStringLiteral("max_connections=100") });
}

void TestProcesses::parametersArriveIntact()
{
    QFETCH(QString, pass);
    QFETCH(QString, key);
    QFETCH(QJsonValue, expected);
    const QJsonObject summary = summaryOf(QStringLiteral("child-processes"),
        { QStringLiteral("children=2"), QStringLiteral("work_ms=0"), QStringLiteral("pass=") + pass,
            QStringLiteral("payload_kb=3000") });
    const QJsonArray reports = summary[u"results"][u"children"].toArray();
    QCOMPARE(reports.size(), 2);
    const QJsonObject second = reports[1].toObject();
    QCOMPARE(second[u"received"][key], expected);
    QCOMPARE(second[u"payload_bytes"].toInteger(), 3000 * 1024);
    QVERIFY(summary[u"results"][u"payloads_intact"].toBool()); // checksums of every payload match
    if (pass == u"complex")
        QCOMPARE(second[u"result"][u"user_age_in_months"].toInt(), 360);
}

void TestProcesses::killedChildIsReportedAndTheOthersFinish()
{
    const QJsonObject summary = summaryOf(
        QStringLiteral("child-processes"), { QStringLiteral("work_ms=2000"), QStringLiteral("kill_one=true") });
    QCOMPARE(summary[u"status"].toString(), QStringLiteral("completed"));
    int crashed = 0;
    int exited = 0;
    for (const auto& row : childRows(summary)) {
        if (row[u"signal"].toString() == u"SIGKILL" && row[u"state"].toString().startsWith(u"crashed"))
            ++crashed;
        else if (row[u"exit_code"].toInt(-1) == 0)
            ++exited;
    }
    QCOMPARE(crashed, 1);
    QCOMPARE(exited, 2);
}

namespace {
// What the children say they did, each in its own report: updates of the number, and how many doubled the array.
struct ChildrenSay {
    qint64 updates = 0;
    qint64 added = 0;
    int doubled = 0;
    int reports = 0;
};

ChildrenSay childrenSay(const QJsonObject& results)
{
    ChildrenSay say;
    for (const auto& r : results[u"children"].toArray()) {
        if (!r.toObject().contains(u"updates"))
            continue; // no report: it did not finish
        ++say.reports;
        say.updates += r[u"updates"].toInteger();
        say.added += r[u"added"].toInteger();
        say.doubled += r[u"doubled_array"].toBool();
    }
    return say;
}
}

void TestProcesses::sharedMemoryGivesTheSeedsNumbers()
{
    const QJsonObject results = summaryOf(QStringLiteral("shared-memory"), {})[u"results"].toObject();
    QCOMPARE(results[u"value"].toInteger(), 100);
    QCOMPARE(results[u"array"].toArray(), (QJsonArray { 2, 4, 6, 8 }));
    const ChildrenSay say = childrenSay(results);
    QCOMPARE(say.reports, 1);
    QCOMPARE(say.added, 100);
}

void TestProcesses::sharedMemoryWithoutTheLockLosesUpdates_data()
{
    QTest::addColumn<QString>("lock");
    QTest::addColumn<int>("runs");
    // The start barrier releases every child at once: unprotected, they race in every run.
    QTest::newRow("no lock") << "none" << 5;
    // The seed's `v.value += 1` on a synchronized Value: the read and the write locked separately.
    QTest::newRow("value-lock (+=)") << "value-lock" << 3;
}

void TestProcesses::sharedMemoryWithoutTheLockLosesUpdates()
{
    QFETCH(QString, lock);
    QFETCH(int, runs);
    const qint64 repeats = lock == u"none" ? 1000000 : 20000;
    for (int run = 0; run < runs; ++run) {
        const QJsonObject results = summaryOf(QStringLiteral("shared-memory"),
            { QStringLiteral("children=4"), QStringLiteral("repeats=%1").arg(repeats), QStringLiteral("add=1"),
                QStringLiteral("lock=") + lock })[u"results"]
                                        .toObject();
        const ChildrenSay say = childrenSay(results);
        QCOMPARE(say.reports, 4);
        QCOMPARE(say.updates, 4 * repeats);
        const qint64 lost = say.added - results[u"value"].toInteger();
        QCOMPARE(results[u"lost_updates"].toInteger(), lost);
        QVERIFY2(lost > 0, qPrintable(QStringLiteral("run %1 of %2 lost no update").arg(run + 1).arg(runs)));
        qInfo("run %d: %lld of %lld updates lost", run + 1, lost, say.added);
    }
}

void TestProcesses::sharedMemoryWithTheSemaphoreNeverDoes()
{
    const QJsonObject results = summaryOf(QStringLiteral("shared-memory"),
        { QStringLiteral("children=4"), QStringLiteral("repeats=5000"), QStringLiteral("add=1") })[u"results"]
                                    .toObject();
    const ChildrenSay say = childrenSay(results);
    QCOMPARE(say.reports, 4);
    QCOMPARE(say.added, 20000);
    QCOMPARE(results[u"value"].toInteger(), say.added);
    QCOMPARE(say.doubled, 4);
    QCOMPARE(results[u"array"].toArray(), (QJsonArray { 1 << 4, 2 << 4, 3 << 4, 4 << 4 }));
    QCOMPARE(results[u"lost_updates"].toInteger(), 0);
}

// The start barrier, from the trace: every child reached the starting line (Sleeping, recorded before it
// counts itself in) before any child was released (Running).
void TestProcesses::sharedMemoryChildrenStartTogether()
{
    const RunOutcome outcome = test::runScenario(QStringLiteral("shared-memory"),
        { QStringLiteral("children=4"), QStringLiteral("repeats=1000"), QStringLiteral("lock=none"),
            QStringLiteral("compute_ns=0") });
    QCOMPARE(outcome.status, RunOutcome::Status::Completed);
    const Trace& trace = *outcome.trace;
    std::int64_t lastArrival = 0;
    std::int64_t firstRelease = std::numeric_limits<std::int64_t>::max();
    int children = 0;
    for (std::size_t w = 0; w < trace.workers.size(); ++w) {
        if (!trace.workers[w].group.startsWith(u"Child-"))
            continue;
        ++children;
        const auto& lane = trace.lanes[w];
        const auto sleeping
            = std::find_if(lane.begin(), lane.end(), [](const Event& e) { return e.kind == EventKind::Sleeping; });
        QVERIFY2(sleeping != lane.end(), qPrintable(trace.workers[w].group + " never reached the barrier"));
        const auto running
            = std::find_if(sleeping, lane.end(), [](const Event& e) { return e.kind == EventKind::Running; });
        QVERIFY2(running != lane.end(), qPrintable(trace.workers[w].group + " was never released"));
        lastArrival = std::max(lastArrival, sleeping->time);
        firstRelease = std::min(firstRelease, running->time);
    }
    QCOMPARE(children, 4);
    QVERIFY2(lastArrival < firstRelease,
        qPrintable(
            QStringLiteral("a child was released %1 ns before the last one arrived").arg(lastArrival - firstRelease)));
}

void TestProcesses::managerGivesTheSeedsDictionary_data()
{
    QTest::addColumn<int>("children");
    QTest::newRow("one child") << 1;
    QTest::newRow("five children") << 5;
}

void TestProcesses::managerGivesTheSeedsDictionary()
{
    QFETCH(int, children);
    const QJsonObject results
        = summaryOf(QStringLiteral("manager"), { QStringLiteral("children=%1").arg(children) })[u"results"].toObject();
    const QJsonObject dict = results[u"dict"].toObject();
    QCOMPARE(dict[u"counter"].toInt(), children);
    QCOMPARE(dict[u"new_key"].toString(), QStringLiteral("added by child"));
    QStringList list;
    for (const auto& v : results[u"list"].toArray())
        list << v.toString();
    list.sort();
    QStringList expected;
    for (int i = 1; i <= children; ++i)
        expected << QStringLiteral("Process-%1").arg(i);
    QCOMPARE(list, expected);
}

void TestProcesses::blockingConsumerGetsEveryItem_data()
{
    QTest::addColumn<QString>("mechanism");
    QTest::newRow("queue") << "queue";
    QTest::newRow("pipe") << "pipe";
}

void TestProcesses::blockingConsumerGetsEveryItem()
{
    QFETCH(QString, mechanism);
    const QJsonObject results = summaryOf(QStringLiteral("queue-pipe"),
        { QStringLiteral("mechanism=") + mechanism, QStringLiteral("producers=2"), QStringLiteral("consumers=2"),
            QStringLiteral("items=300"), QStringLiteral("produce_us=0"), QStringLiteral("consume_us=100"),
            QStringLiteral("capacity=4") })[u"results"]
                                    .toObject();
    // From the children's own reports: each producer says what it put, each consumer what it got.
    qint64 produced = 0;
    qint64 consumed = 0;
    int producers = 0;
    int consumers = 0;
    for (const auto& r : results[u"children"].toArray()) {
        if (r[u"role"].toString() == u"producer") {
            ++producers;
            produced += r[u"report"][u"produced"].toInteger();
        } else if (r[u"role"].toString() == u"consumer") {
            ++consumers;
            consumed += r[u"report"][u"consumed"].toInteger();
        }
    }
    QCOMPARE(producers, 2);
    QCOMPARE(consumers, 2);
    QCOMPARE(produced, 600); // 2 producers x 300 items
    QCOMPARE(consumed, 600);
    QCOMPARE(results[u"produced"].toInteger(), produced);
    QCOMPARE(results[u"consumed"].toInteger(), consumed);
    QCOMPARE(results[u"missed"].toInteger(), 0);
    QCOMPARE(results[u"left_unread"].toInteger(), 0);
    // The queue never holds more than its capacity (4); a pipe no more than 64 KiB of 64-byte records.
    const qint64 capacity = mechanism == u"queue" ? 4 : 65536 / 64;
    QVERIFY2(results[u"max_depth"].toInteger() <= capacity,
        qPrintable(QStringLiteral("%1 items waiting at once").arg(results[u"max_depth"].toInteger())));
}

void TestProcesses::checkEmptyConsumerMissesItems()
{
    // The seed's consumer quits the first time the queue is empty; producers that are still working
    // make that happen in most runs (here: the first item comes 20 ms after the start).
    qint64 missed = 0;
    for (int attempt = 0; attempt < 5 && missed == 0; ++attempt) {
        const QJsonObject results
            = summaryOf(QStringLiteral("queue-pipe"), { QStringLiteral("consumer=check-empty") })[u"results"]
                  .toObject();
        missed = results[u"missed"].toInteger();
        QCOMPARE(5 - results[u"consumed"].toInteger(), missed); // one producer, 5 items
    }
    QVERIFY2(missed > 0, "the check-empty consumer got every item in 5 runs");
}

void TestProcesses::seedOrderProducesEverythingFirst_data()
{
    QTest::addColumn<QString>("mechanism");
    QTest::addColumn<QString>("consumer");
    QTest::addColumn<int>("capacity");
    QTest::addColumn<bool>("stuck");
    // The seed's program: the producer is joined before the consumer starts, so even the check-empty
    // consumer finds every item waiting.
    QTest::newRow("queue of 10, check-empty") << "queue"
                                              << "check-empty" << 10 << false;
    QTest::newRow("pipe, check-empty") << "pipe"
                                       << "check-empty" << 4 << false;
    // A queue smaller than the items: the producer waits for room no consumer can make yet.
    QTest::newRow("queue of 4, blocking") << "queue"
                                          << "blocking" << 4 << true;
}

void TestProcesses::seedOrderProducesEverythingFirst()
{
    QFETCH(QString, mechanism);
    QFETCH(QString, consumer);
    QFETCH(int, capacity);
    QFETCH(bool, stuck);
    const RunOutcome outcome = test::runScenario(QStringLiteral("queue-pipe"),
        { QStringLiteral("order=seed"), QStringLiteral("mechanism=") + mechanism,
            QStringLiteral("consumer=") + consumer, QStringLiteral("capacity=%1").arg(capacity) });
    const QJsonObject results = outcome.results;
    QCOMPARE(results[u"producers_stuck"].toBool(), stuck);
    qint64 consumed = 0;
    for (const auto& r : results[u"children"].toArray())
        consumed += r[u"report"][u"consumed"].toInteger();
    QCOMPARE(consumed, 5); // the seed's 5 items, all of them
    QCOMPARE(results[u"missed"].toInteger(), 0);
    // From the trace: the producer's last event comes before the consumer's first, unless it was stuck.
    const Trace& trace = *outcome.trace;
    std::int64_t producerEnd = -1;
    std::int64_t consumerStart = -1;
    for (std::size_t w = 0; w < trace.workers.size(); ++w) {
        if (trace.lanes[w].empty())
            continue;
        if (trace.workers[w].group == u"Producer-1")
            producerEnd = trace.lanes[w].back().time;
        else if (trace.workers[w].group == u"Consumer-1")
            consumerStart = trace.lanes[w].front().time;
    }
    QVERIFY2(producerEnd > 0 && consumerStart > 0, "no lane for Producer-1 or Consumer-1");
    QCOMPARE(producerEnd < consumerStart, !stuck);
}

void TestProcesses::ipcThroughputMeasuresEveryMechanismAndSize()
{
    const QJsonObject results = summaryOf(
        QStringLiteral("ipc-throughput"), { QStringLiteral("largest=1m"), QStringLiteral("megabytes=4") })[u"results"]
                                    .toObject();
    QCOMPARE(results[u"sizes"].toArray(), (QJsonArray { 4096, 65536, 1048576 }));
    const QJsonObject rates = results[u"bytes_per_s"].toObject();
    QCOMPARE(rates.keys(), (QStringList { "pipe", "shared_memory", "socket" }));
    for (const auto& mechanism : rates)
        for (const auto& size : results[u"sizes"].toArray())
            QVERIFY(mechanism[QString::number(size.toInteger())].toDouble() > 0);
}

void TestProcesses::stopEndsChildrenAndLeavesNothing()
{
    auto scenario = createScenario(QStringLiteral("child-processes"));
    ParamSet params(scenario->info().params);
    QVERIFY(params.assign(QStringLiteral("work_ms=600000"), nullptr));
    Run run(std::make_unique<ScenarioSource>(std::move(scenario)), params);
    std::atomic<bool> allRan { false };
    std::thread stopper([&] {
        // Once every child is running, stop the run; stop it anyway after 60 s so the test fails, not hangs.
        for (int waited = 0; waited < 60000 && !allRan; waited += 5) {
            const auto processes = run.context().processes();
            allRan = processes.size() == 4 && std::all_of(processes.begin(), processes.end(), [](const ProcessInfo& p) {
                return p.state == ProcessInfo::State::Running;
            });
            if (!allRan)
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        run.requestStop();
    });
    const RunOutcome outcome = run.execute();
    stopper.join();
    QVERIFY2(allRan, "the 3 children were not all running within 60 s");
    QCOMPARE(outcome.status, RunOutcome::Status::Stopped);
    for (std::size_t i = 1; i < outcome.processes.size(); ++i) {
        QCOMPARE(outcome.processes[i].state, ProcessInfo::State::Stopped);
        QVERIFY(!QDir(QStringLiteral("/proc/%1").arg(outcome.processes[i].pid)).exists());
    }
}

namespace {
bool ledgerLists(const QString& entryStart)
{
    QFile ledger(IpcRegistry::instance().ledgerPath());
    if (!ledger.open(QIODevice::ReadOnly))
        return false;
    for (const QByteArray& line : ledger.readAll().split('\n'))
        if (line.startsWith(entryStart.toUtf8()))
            return true;
    return false;
}

bool gone(IpcKind kind, int id)
{
    const IpcStatus status = ipcStatus(kind, id);
    return !status.exists || status.markedForRemoval;
}

// Objects another local user could have made first, open to everyone (0666): a semaphore at 5 (which would
// let several processes into a lock at once) and a segment, each at a key and at IPC_PRIVATE.
struct Squatters {
    std::vector<int> semaphores;
    std::vector<int> segments;
    Squatters()
    {
        for (const key_t key : { key_t(IPC_PRIVATE), key_t(0x7e570000 + getpid() % 0xffff) }) {
            const int sem = semget(key, 1, IPC_CREAT | 0666);
            if (sem >= 0 && semctl(sem, 0, SETVAL, 5) == 0)
                semaphores.push_back(sem);
            const int shm = shmget(key, 4096, IPC_CREAT | 0666);
            if (shm >= 0)
                segments.push_back(shm);
        }
    }
    ~Squatters()
    {
        for (int id : semaphores)
            semctl(id, 0, IPC_RMID);
        for (int id : segments)
            shmctl(id, IPC_RMID, nullptr);
    }
};
}

void TestProcesses::objectsAreNewPrivateAndListedById()
{
    int segmentId = -1;
    int semaphoreId = -1;
    {
        const auto segment = SharedSegment::create(QStringLiteral("test"), 4096);
        const auto semaphore = SharedSemaphore::create(QStringLiteral("test"), 1);
        segmentId = segment->id();
        semaphoreId = semaphore->id();
        for (const auto& [kind, id] :
            { std::pair(IpcKind::Segment, segmentId), std::pair(IpcKind::Semaphore, semaphoreId) }) {
            const IpcStatus status = ipcStatus(kind, id);
            QVERIFY(status.exists);
            QCOMPARE(status.mode, 0600u);
            QCOMPARE(status.owner, unsigned(geteuid()));
            QVERIFY(isPrivateToUs(status));
        }
        QCOMPARE(ipcStatus(IpcKind::Segment, segmentId).creatorPid, qint64(getpid()));
        QVERIFY(ledgerLists(QStringLiteral("shm %1 ").arg(segmentId)));
        QVERIFY(ledgerLists(QStringLiteral("sem %1 ").arg(semaphoreId)));
        // A child opens them by id: here, this process does.
        QVERIFY(SharedSegment::attach(segment->key())->data() != nullptr);
        SharedSemaphore::open(semaphore->key())->acquire();
        semaphore->release();
    }
    QVERIFY(gone(IpcKind::Segment, segmentId));
    QVERIFY(gone(IpcKind::Semaphore, semaphoreId));
    QCOMPARE(ourLedgers(), QStringList());
}

void TestProcesses::squattedObjectsAreNeverAdopted()
{
    const Squatters squatters;
    QVERIFY(!squatters.semaphores.empty() && !squatters.segments.empty());
    // Opening by id refuses what is not private to us, with a message that says so.
    for (int id : squatters.semaphores)
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, SharedSemaphore::open(QString::number(id)));
    for (int id : squatters.segments)
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, SharedSegment::attach(QString::number(id)));
    try {
        SharedSemaphore::open(QString::number(squatters.semaphores.front()));
    } catch (const std::runtime_error& e) {
        QVERIFY2(QByteArray(e.what()).contains("not this run's own"), e.what());
    }
    // A run with squatters about counts exactly, and leaves them as they were.
    const QJsonObject results = summaryOf(QStringLiteral("shared-memory"),
        { QStringLiteral("children=3"), QStringLiteral("repeats=3000"), QStringLiteral("add=1"),
            QStringLiteral("compute_ns=0") })[u"results"]
                                    .toObject();
    QCOMPARE(results[u"value"].toInteger(), 9000);
    QCOMPARE(results[u"lost_updates"].toInteger(), 0);
    for (int id : squatters.semaphores) {
        QCOMPARE(semctl(id, 0, GETVAL), 5);
        QCOMPARE(semctl(id, 0, GETPID), int(getpid())); // no process but ours (its SETVAL) touched it
    }
    for (int id : squatters.segments) {
        shmid_ds ds {};
        QCOMPARE(shmctl(id, IPC_STAT, &ds), 0);
        QCOMPARE(ds.shm_lpid, 0); // never attached
    }
}

void TestProcesses::cleanupAfterSigkillRemovesThatRunsObjectsById()
{
    // A ThreadLab run with another TMPDIR (and no runtime directory) is killed mid-run.
    QTemporaryDir otherTemp;
    QVERIFY(otherTemp.isValid());
    QProcess victim;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TMPDIR"), otherTemp.path());
    env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    victim.setProcessEnvironment(env);
    victim.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    victim.start(qEnvironmentVariable("THREADLAB_CHILD_EXE"),
        { QStringLiteral("run"), QStringLiteral("shared-memory"), QStringLiteral("--set"), QStringLiteral("children=2"),
            QStringLiteral("--set"), QStringLiteral("repeats=100000000") });
    QVERIFY(victim.waitForStarted());
    const QString pattern = QStringLiteral("%1-*.keys").arg(victim.processId());
    // Its ledger, once it lists both children's segments, the data segment and the lock.
    QString ledger;
    QStringList entries;
    auto listsEverything = [&] {
        for (const QString& dir : IpcRegistry::ledgerDirectories())
            for (const QString& name : QDir(dir).entryList({ pattern }, QDir::Files)) {
                QFile file(dir + u'/' + name);
                if (!file.open(QIODevice::ReadOnly))
                    continue;
                ledger = file.fileName();
                entries = QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts);
            }
        return entries.filter(QRegularExpression(QStringLiteral("^shm "))).size() == 3
            && entries.filter(QRegularExpression(QStringLiteral("^sem "))).size() == 1;
    };
    QVERIFY2(QTest::qWaitFor(listsEverything, 120000), qPrintable(entries.join(u'|')));
    ::kill(pid_t(victim.processId()), SIGKILL);
    QVERIFY(victim.waitForFinished());

    // The next start, with yet another TMPDIR, still finds that ledger and removes exactly what it lists.
    // Any ThreadLab that starts meanwhile (a test running beside this one, a user's window) is such a next
    // start and may get there first: then the ledger and its objects are gone already, which is the
    // behaviour under test as well, and the counts cannot be ours to check.
    auto isGone = [](const QString& entry) {
        const QStringList fields = entry.split(u' ');
        if (fields[0] == u"file") // a QSharedMemory's or QSystemSemaphore's key file
            return !QFile::exists(entry.section(u' ', 1));
        return gone(fields[0] == u"shm" ? IpcKind::Segment : IpcKind::Semaphore, fields[1].toInt());
    };
    const bool untouched = QFile::exists(ledger) && std::none_of(entries.begin(), entries.end(), isGone);
    QTemporaryDir thirdTemp;
    const QByteArray savedTemp = qgetenv("TMPDIR");
    qputenv("TMPDIR", thirdTemp.path().toUtf8());
    const QStringList dirs = IpcRegistry::ledgerDirectories();
    qputenv("TMPDIR", savedTemp);
    const IpcRegistry::Removed removed = IpcRegistry::removeLeftBy(ledger);
    if (untouched) {
        QVERIFY2(dirs.contains(QFileInfo(ledger).absolutePath()), qPrintable(dirs.join(u' ')));
        QCOMPARE(removed.segments, 3);
        QCOMPARE(removed.semaphores, 1);
        QCOMPARE(removed.keyFiles, 2); // QSharedMemory's and QSystemSemaphore's, the default ipc=qt
        QCOMPARE(removed.total(), 6); // no socket in shared-memory
    } else {
        qInfo("another ThreadLab started meanwhile and removed the killed run's objects first");
    }
    for (const QString& entry : entries)
        QVERIFY2(isGone(entry), qPrintable(entry));
    QVERIFY(!QFile::exists(ledger));
}

void TestProcesses::cleanupRemovesOnlyObjectsStillTheirs()
{
    // A dead process's ledger that names an id now used by an object it did not make (ids are reused):
    // here this process's own segment and semaphore, listed with other creation times.
    const auto segment = SharedSegment::create(QStringLiteral("test"), 4096);
    const auto semaphore = SharedSemaphore::create(QStringLiteral("test"), 1);
    const QString ledger = IpcRegistry::directory() + QStringLiteral("/999999999-1.keys");
    {
        QFile file(ledger);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QStringLiteral("shm %1 %2\nsem %3 %4\nsock tl-0-none\n")
                       .arg(segment->id())
                       .arg(ipcStatus(IpcKind::Segment, segment->id()).createdAt - 1)
                       .arg(semaphore->id())
                       .arg(ipcStatus(IpcKind::Semaphore, semaphore->id()).createdAt - 1)
                       .toUtf8());
    }
    const IpcRegistry::Removed removed = IpcRegistry::removeLeftBy(ledger);
    QCOMPARE(removed.total(), 0); // nothing it listed was still its own, and the socket file was not there
    QVERIFY(!gone(IpcKind::Segment, segment->id()));
    QVERIFY(!gone(IpcKind::Semaphore, semaphore->id()));
    QVERIFY(!QFile::exists(ledger));
}

void TestProcesses::sharedMemoryWithAKilledChildAddsUp_data()
{
    QTest::addColumn<QString>("lock");
    QTest::newRow("semaphore") << "semaphore";
    QTest::newRow("no lock") << "none";
}

void TestProcesses::sharedMemoryWithAKilledChildAddsUp()
{
    QFETCH(QString, lock);
    // Enough for a second or so of updates: a contended semaphore costs far more per update than none.
    const qint64 kRepeats = lock == u"semaphore" ? 50'000 : 2'000'000;
    // Child-1 is killed mid-run. The account must add up in every run; it must have been killed part-way in
    // at least one of up to five (a loaded machine may kill it before it starts, or let it finish first).
    bool killedPartWay = false;
    for (int attempt = 0; attempt < 5 && !killedPartWay; ++attempt) {
        auto scenario = createScenario(QStringLiteral("shared-memory"));
        ParamSet params(scenario->info().params);
        for (const QString& a : { QStringLiteral("children=3"), QStringLiteral("repeats=%1").arg(kRepeats),
                 QStringLiteral("add=1"), QStringLiteral("compute_ns=100"), QStringLiteral("lock=") + lock })
            QVERIFY(params.assign(a, nullptr));
        Run run(std::make_unique<ScenarioSource>(std::move(scenario)), params);
        std::atomic<bool> killed { false };
        std::thread killer([&] {
            // Once the children are released and the shared number has moved (read through the run's own
            // "shared value" counter), kill Child-1; give up after 60 s.
            for (int waited = 0; waited < 60000 && !killed; waited += 1) {
                const std::vector<QString> names = run.context().counterNames();
                const auto counter = std::find(names.begin(), names.end(), QStringLiteral("shared value"));
                const std::vector<std::int64_t> values = run.context().sampleCounters();
                const std::size_t index = std::size_t(counter - names.begin());
                std::int64_t victim = 0;
                for (const ProcessInfo& p : run.context().processes())
                    if (p.name == u"Child-1" && p.state == ProcessInfo::State::Running)
                        victim = p.pid;
                if (victim > 0 && index < values.size() && values[index] > kRepeats / 100) {
                    run.requestKill(victim);
                    killed = true;
                } else {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                }
            }
        });
        const RunOutcome outcome = run.execute();
        killer.join();
        QVERIFY(killed);
        const QJsonObject results = outcome.results;
        const qint64 value = results[u"value"].toInteger();
        const qint64 expected = results[u"expected_value"].toInteger();
        const qint64 lost = results[u"lost_updates"].toInteger();
        const qint64 inFlight = results[u"updates_in_flight"].toInteger();
        QVERIFY2(lost >= 0, qPrintable(QStringLiteral("lost_updates %1").arg(lost)));
        QCOMPARE(expected, results[u"updates"].toInteger());
        // value + lost is the expected total, or, with the killed child's last update in flight, one more.
        QVERIFY2(value + lost >= expected && value + lost <= expected + inFlight,
            qPrintable(QStringLiteral("value %1 + lost %2 vs expected %3 (+%4 in flight)")
                           .arg(value)
                           .arg(lost)
                           .arg(expected)
                           .arg(inFlight)));
        QVERIFY(results[u"lost_updates_at_most"].toInteger(lost) >= lost);
        if (lock == u"semaphore")
            QCOMPARE(lost, 0);
        killedPartWay = results[u"children_finished"].toInt() == 2 && expected > 2 * kRepeats;
    }
    QVERIFY2(killedPartWay, "Child-1 was not killed part-way through in five runs");
}

void TestProcesses::queuePipeWithAKilledProducerConsumesNoMoreThanProduced_data()
{
    QTest::addColumn<QString>("mechanism");
    QTest::newRow("pipe") << "pipe";
    QTest::newRow("queue") << "queue";
}

void TestProcesses::queuePipeWithAKilledProducerConsumesNoMoreThanProduced()
{
    QFETCH(QString, mechanism);
    // One producer, faster than two slow consumers, killed once items are waiting (the run's own "items
    // waiting" counter), so it has put some and consumers get them after it is gone.
    auto scenario = createScenario(QStringLiteral("queue-pipe"));
    ParamSet params(scenario->info().params);
    for (const QString& a : { QStringLiteral("mechanism=") + mechanism, QStringLiteral("producers=1"),
             QStringLiteral("consumers=2"), QStringLiteral("items=100000"), QStringLiteral("produce_us=100"),
             QStringLiteral("consume_us=2000"), QStringLiteral("capacity=1000") })
        QVERIFY(params.assign(a, nullptr));
    Run run(std::make_unique<ScenarioSource>(std::move(scenario)), params);
    std::atomic<bool> killed { false };
    std::thread killer([&] {
        for (int waited = 0; waited < 60000 && !killed; ++waited) {
            const std::vector<QString> names = run.context().counterNames();
            const auto counter = std::find(names.begin(), names.end(), QStringLiteral("items waiting"));
            const std::vector<std::int64_t> values = run.context().sampleCounters();
            const std::size_t index = std::size_t(counter - names.begin());
            std::int64_t producer = 0;
            for (const ProcessInfo& p : run.context().processes())
                if (p.name == u"Producer-1" && p.state == ProcessInfo::State::Running)
                    producer = p.pid;
            if (producer > 0 && index < values.size() && values[index] >= 10) {
                run.requestKill(producer);
                killed = true;
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        }
    });
    const RunOutcome outcome = run.execute();
    killer.join();
    QVERIFY(killed);
    const QJsonObject results = outcome.results;
    const qint64 produced = results[u"produced"].toInteger();
    const qint64 consumed = results[u"consumed"].toInteger();
    QVERIFY2(
        consumed <= produced, qPrintable(QStringLiteral("%1 consumed of %2 produced").arg(consumed).arg(produced)));
    QVERIFY(consumed >= 10); // what was waiting when it was killed, at least
    QCOMPARE(results[u"counted_from_gauges"].toArray(), QJsonArray { QStringLiteral("Producer-1") });
    QCOMPARE(results[u"missed"].toInteger(), produced - consumed); // put but never got
}

void TestProcesses::managerStoppedReadsAsStopped()
{
    // Stopped once the clients run: the manager goes (SIGTERM) while this side may be talking to it.
    auto scenario = createScenario(QStringLiteral("manager"));
    ParamSet params(scenario->info().params);
    QVERIFY(params.assign(QStringLiteral("children=3"), nullptr));
    QVERIFY(params.assign(QStringLiteral("updates=100000"), nullptr));
    Run run(std::make_unique<ScenarioSource>(std::move(scenario)), params);
    std::thread stopper([&] {
        for (int waited = 0; waited < 60000; waited += 5) {
            const auto processes = run.context().processes();
            if (processes.size() == 5 && std::all_of(processes.begin(), processes.end(), [](const ProcessInfo& p) {
                    return p.state == ProcessInfo::State::Running;
                }))
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        run.requestStop();
    });
    const RunOutcome outcome = run.execute();
    stopper.join();
    QCOMPARE(outcome.statusName(), QStringLiteral("stopped"));
    QVERIFY2(outcome.error.isEmpty(), qPrintable(outcome.error));
}

void TestProcesses::ipcThroughputWithLargeSizesStops()
{
    auto scenario = createScenario(QStringLiteral("ipc-throughput"));
    ParamSet params(scenario->info().params);
    QVERIFY(params.assign(QStringLiteral("largest=256m"), nullptr));
    QVERIFY(params.assign(QStringLiteral("megabytes=4096"), nullptr));
    Run run(std::make_unique<ScenarioSource>(std::move(scenario)), params);
    std::thread stopper([&] {
        // Once the receiver runs and the measurement has begun, stop; no limit on how long that takes.
        for (int waited = 0; waited < 60000; waited += 5) {
            const auto processes = run.context().processes();
            if (processes.size() == 2 && processes[1].state == ProcessInfo::State::Running)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        run.requestStop();
    });
    const RunOutcome outcome = run.execute();
    stopper.join();
    QCOMPARE(outcome.statusName(), QStringLiteral("stopped"));
    QVERIFY(!outcome.results.contains(u"receiver_lost"));
}

void TestProcesses::noSegmentOrSemaphoreOutlivesARun()
{
    // Every run above created segments and semaphores (each child's event segment, shared data, locks),
    // each under a key in this process's ledger until it is removed.
    QCOMPARE(ourSegments(), 0);
    QCOMPARE(ourLedgers(), QStringList());
    QVERIFY(QDir(IpcRegistry::directory()).entryList({ QStringLiteral("*.sock") }, QDir::Files).isEmpty());
}

QTEST_GUILESS_MAIN(TestProcesses)
#include "tst_processes.moc"
