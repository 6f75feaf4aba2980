#include "../support/runscenario.h"

#include <processes/ipcregistry.h>

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QTest>
#include <unistd.h>

using namespace tl;

namespace {
// System V segments and semaphores that exist now, of any user (the kernel's own tables).
int countIpc(const char* table)
{
    QFile file(QStringLiteral("/proc/sysvipc/%1").arg(QLatin1String(table)));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    return int(file.readAll().count('\n')) - 1; // minus the header line
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
    void sharedMemoryWithoutTheLockLosesUpdates();
    void sharedMemoryWithTheSemaphoreNeverDoes();
    void managerGivesTheSeedsDictionary_data();
    void managerGivesTheSeedsDictionary();
    void blockingConsumerGetsEveryItem_data();
    void blockingConsumerGetsEveryItem();
    void checkEmptyConsumerMissesItems();
    void ipcThroughputMeasuresEveryMechanismAndSize();
    void stopEndsChildrenAndLeavesNothing();
    void noSegmentOrSemaphoreOutlivesARun();

private:
    int m_segmentsBefore = 0;
    int m_semaphoresBefore = 0;
};

void TestProcesses::initTestCase()
{
    QVERIFY2(QFile::exists(qEnvironmentVariable("THREADLAB_CHILD_EXE")), "THREADLAB_CHILD_EXE must name threadlab");
    m_segmentsBefore = countIpc("shm");
    m_semaphoresBefore = countIpc("sem");
    QVERIFY(m_segmentsBefore >= 0);
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

void TestProcesses::sharedMemoryGivesTheSeedsNumbers()
{
    const QJsonObject results = summaryOf(QStringLiteral("shared-memory"), {})[u"results"].toObject();
    QCOMPARE(results[u"value"].toInteger(), 100);
    QCOMPARE(results[u"array"].toArray(), (QJsonArray { 2, 4, 6, 8 }));
}

void TestProcesses::sharedMemoryWithoutTheLockLosesUpdates()
{
    // A race: most runs lose thousands of updates, but the scheduler may serialise one run by chance.
    qint64 lost = 0;
    for (int attempt = 0; attempt < 5 && lost == 0; ++attempt) {
        const QJsonObject results = summaryOf(QStringLiteral("shared-memory"),
            { QStringLiteral("children=4"), QStringLiteral("repeats=1000000"), QStringLiteral("add=1"),
                QStringLiteral("lock=none") })[u"results"]
                                        .toObject();
        lost = results[u"lost_updates"].toInteger();
        QCOMPARE(results[u"expected_value"].toInteger() - results[u"value"].toInteger(), lost);
    }
    QVERIFY2(lost > 0, "4 processes x 1000000 unlocked updates never lost one in 5 runs");
}

void TestProcesses::sharedMemoryWithTheSemaphoreNeverDoes()
{
    const QJsonObject results = summaryOf(QStringLiteral("shared-memory"),
        { QStringLiteral("children=4"), QStringLiteral("repeats=5000"), QStringLiteral("add=1") })[u"results"]
                                    .toObject();
    QCOMPARE(results[u"value"].toInteger(), 20000);
    QCOMPARE(results[u"array"].toArray(), (QJsonArray { 16, 32, 48, 64 }));
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
            QStringLiteral("items=300"), QStringLiteral("produce_us=0"), QStringLiteral("consume_us=100") })[u"results"]
                                    .toObject();
    QCOMPARE(results[u"produced"].toInteger(), 600);
    QCOMPARE(results[u"consumed"].toInteger(), 600);
    QCOMPARE(results[u"missed"].toInteger(), 0);
    QVERIFY(results[u"max_depth"].toInteger() >= 0);
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
    Run run(std::move(scenario), params);
    std::thread stopper([&] {
        // Once every child is running, stop the run.
        while (true) {
            const auto processes = run.context().processes();
            if (processes.size() == 4 && std::all_of(processes.begin(), processes.end(), [](const ProcessInfo& p) {
                    return p.state == ProcessInfo::State::Running;
                }))
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        run.requestStop();
    });
    const RunOutcome outcome = run.execute();
    stopper.join();
    QCOMPARE(outcome.status, RunOutcome::Status::Stopped);
    for (std::size_t i = 1; i < outcome.processes.size(); ++i) {
        QCOMPARE(outcome.processes[i].state, ProcessInfo::State::Stopped);
        QVERIFY(!QDir(QStringLiteral("/proc/%1").arg(outcome.processes[i].pid)).exists());
    }
}

void TestProcesses::noSegmentOrSemaphoreOutlivesARun()
{
    // Every run above created segments and semaphores (each child's event segment, shared data, locks).
    QCOMPARE(countIpc("shm"), m_segmentsBefore);
    QCOMPARE(countIpc("sem"), m_semaphoresBefore);
    QVERIFY(QDir(IpcRegistry::directory()).entryList({ QStringLiteral("*.sock") }, QDir::Files).isEmpty());
}

QTEST_GUILESS_MAIN(TestProcesses)
#include "tst_processes.moc"
