#include <scenarios/registry.h>
#include <scenarios/scenario.h>
#include <session/run.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace tl;

// The words under the results follow the run's own numbers. Each row is a summary as `--json` prints it,
// made by hand: the figures of a run that shows the lesson, or of one on a busy machine that shows the
// contrary. The account must state the lesson in the first case and must not in the second.
class TestAccounts : public QObject {
    Q_OBJECT
private slots:
    void speedLessonsFollowTheNumbers_data();
    void speedLessonsFollowTheNumbers();
    void runQueueTimeIsSaidWhenItMatters();
};

namespace {
QJsonObject summary(const char* json)
{
    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(json), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad fixture: %s", qPrintable(error.errorString()));
    return doc.object();
}

QString account(const QString& scenario, const char* json)
{
    return createScenario(scenario)->describeOutcome(summary(json));
}
}

void TestAccounts::speedLessonsFollowTheNumbers_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("fixture");
    QTest::addColumn<QString>("lesson"); // the sentence's words that state the lesson
    QTest::addColumn<bool>("stated");

    const auto gil = [](double without, double with) {
        return QStringLiteral(R"({"params": {"work": "cpu", "workers": 4, "switch_interval_ms": 5}, "results": {
            "sequential_ms": 400, "speedup_without_gil": %1, "speedup_with_gil": %2, "gil_switches": 80}})")
            .arg(without)
            .arg(with);
    };
    QTest::newRow("gil: threads take turns") << "gil" << gil(1.9, 1.0) << "the threads take turns" << true;
    QTest::newRow("gil: 1.83x with the GIL is no turn-taking")
        << "gil" << gil(1.9, 1.83) << "the threads take turns" << false;
    QTest::newRow("gil: no gain even without the GIL") << "gil" << gil(0.95, 0.9) << "the threads take turns" << false;

    const char* coresClear = R"({"params": {"workers": 2}, "results": {"cores_available": 2, "speedup": 1.95,
        "one_core": {"cpus": [0], "cpus_used": 1, "wall_ms": 200},
        "all_cores": {"cpus": [0, 1], "cpus_used": 2, "wall_ms": 102}}})";
    const char* coresOneCpu = R"({"params": {"workers": 2}, "results": {"cores_available": 2, "speedup": 0.95,
        "one_core": {"cpus": [0], "cpus_used": 1, "wall_ms": 200},
        "all_cores": {"cpus": [0], "cpus_used": 1, "wall_ms": 210}}})";
    QTest::newRow("cores: in parallel") << "cores" << coresClear << "in parallel" << true;
    QTest::newRow("cores: one CPU used, 0.95x") << "cores" << coresOneCpu << "in parallel" << false;

    const char* pools = R"({"params": {"tasks": 8, "work": "cpu", "workers": 2, "gil": %1},
        "results": {"executor": "%2", "speedup": %3, "sequential_ms": 400, "wall_ms": 300, "failed": 0,
        "executors": {"%2": {"mean_queue_ms": 1, "mean_latency_ms": 50}}}})";
    QTest::newRow("pools: processes speed CPU work up")
        << "pools" << QString(pools).arg("false", "processes", "1.9") << "only speeds up with as many workers" << true;
    QTest::newRow("pools: 0.90x is no speed-up") << "pools" << QString(pools).arg("false", "processes", "0.90")
                                                 << "only speeds up with as many workers" << false;
    QTest::newRow("pools: the GIL gains nothing")
        << "pools" << QString(pools).arg("true", "threads", "1.0") << "gains nothing from threads" << true;
    QTest::newRow("pools: 1.7x with the GIL is not nothing")
        << "pools" << QString(pools).arg("true", "threads", "1.7") << "gains nothing from threads" << false;

    const char* sweep = R"({"params": {"work": "cpu"}, "results": {"cores": 2, "sequential_ms": 400, "repeats": 3,
        "rows": [{"executor": "threads", "workers": 1, "speedup": 1.0},
                 {"executor": "threads", "workers": 4, "speedup": %1},
                 {"executor": "processes", "workers": 1, "speedup": 1.0},
                 {"executor": "processes", "workers": 2, "speedup": %1},
                 {"executor": "processes", "workers": 4, "speedup": %1}]}})";
    QTest::newRow("sweep: levels off at the cores") << "sweep" << QString(sweep).arg("1.9") << "levels off" << true;
    QTest::newRow("sweep: no gain at all") << "sweep" << QString(sweep).arg("1.02") << "levels off" << false;

    const char* ipc = R"({"results": {"sizes": [4096, 16777216], "bytes_per_s": {
        "pipe": {"4096": %1, "16777216": 2e9}, "socket": {"4096": %1, "16777216": 2.5e9},
        "shared_memory": {"4096": %2, "16777216": 1e9}}}})";
    QTest::newRow("ipc-throughput: shared memory leads small payloads")
        << "ipc-throughput" << QString(ipc).arg("1e8", "9e8") << "which counts most for small payloads" << true;
    QTest::newRow("ipc-throughput: shared memory slowest at every size")
        << "ipc-throughput" << QString(ipc).arg("1e9", "1e8") << "which counts most for small payloads" << false;
}

void TestAccounts::speedLessonsFollowTheNumbers()
{
    QFETCH(QString, scenario);
    QFETCH(QString, fixture);
    QFETCH(QString, lesson);
    QFETCH(bool, stated);
    const QString text = account(scenario, fixture.toUtf8().constData());
    QVERIFY2(text.contains(lesson) == stated, qPrintable(text));
    // A run that contradicts its lesson says so, and why it may have.
    if (!stated)
        QVERIFY2(text.contains(u"other programs") || text.contains(u"run it again") || text.contains(u"did not lead"),
            qPrintable(text));
}

void TestAccounts::runQueueTimeIsSaidWhenItMatters()
{
    RunOutcome outcome;
    const auto worker = [](qint64 elapsed, qint64 queued) {
        return QJsonObject { { QStringLiteral("elapsed_ns"), elapsed }, { QStringLiteral("runqueue_ns"), queued } };
    };
    // 300 of 400 ms and 90 of 100 ms without a CPU: 78% of the workers' time; a worker with no figure (a
    // child process's lane) counts for nothing.
    outcome.workerFigures = { worker(400'000'000, 300'000'000), worker(100'000'000, 90'000'000),
        QJsonObject { { QStringLiteral("elapsed_ns"), 1'000'000'000 } } };
    QCOMPARE(runQueueShare(outcome), 0.78);
    QVERIFY2(cpuAccount(outcome).contains(u"no CPU for 78% of their time"), qPrintable(cpuAccount(outcome)));
    outcome.workerFigures = { worker(400'000'000, 4'000'000) }; // 1%: the scheduler's ordinary hand-overs
    QCOMPARE(cpuAccount(outcome), QString());
    outcome.workerFigures = { QJsonObject { { QStringLiteral("elapsed_ns"), 1 } } };
    QCOMPARE(runQueueShare(outcome), -1.0); // unknown, not zero
}

QTEST_GUILESS_MAIN(TestAccounts)
#include "tst_accounts.moc"
