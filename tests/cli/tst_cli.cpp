#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

// End to end: the real executable, headless, as a script would call it.
class TestCli : public QObject {
    Q_OBJECT
private slots:
    void listAndDescribe();
    void exitCodes_data();
    void exitCodes();
    void jsonSummaryHasTheDocumentedKeys_data();
    void jsonSummaryHasTheDocumentedKeys();
    void writesEveryOutputFile();
    void writesTheSpeedupChart();
    void unwritableOutputFailsBeforeTheRun();
    void manPageDocumentsEveryOptionOfHelp();
    void sharedMemoryOfAKilledRunIsRemovedAtTheNextStart();

private:
    struct Result {
        int code;
        QByteArray out;
        QByteArray err;
    };
    static Result threadlab(const QStringList& args);
};

TestCli::Result TestCli::threadlab(const QStringList& args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY")); // headless must work with no display at all
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(THREADLAB_EXE), args);
    if (!p.waitForFinished(240000))
        qFatal("threadlab did not finish");
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
        p.readAllStandardError() };
}

void TestCli::listAndDescribe()
{
    const auto list = threadlab({ QStringLiteral("--list") });
    QCOMPARE(list.code, 0);
    for (const char* name : { "race-counter", "lock-contention", "threads" })
        QVERIFY(list.out.contains(name));
    const auto describe = threadlab({ QStringLiteral("describe"), QStringLiteral("race-counter") });
    QCOMPARE(describe.code, 0);
    QVERIFY(describe.out.contains("workers"));
    QVERIFY(describe.out.contains("1..64"));
    QVERIFY(describe.out.contains("none|mutex|atomic"));
    QVERIFY(threadlab({ QStringLiteral("--version") }).out.startsWith("threadlab "));
    QVERIFY(threadlab({ QStringLiteral("--help") }).out.contains("--set KEY=VALUE"));
}

void TestCli::exitCodes_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown scenario lists the real ones") << QStringList { "run",
        "race" } << 2 << "unknown scenario 'race'; available: race-counter, lock-contention, threads";
    QTest::newRow("out of range names the parameter and range") << QStringList { "run", "race-counter", "--set",
        "workers=100" } << 2 << "workers: expected an integer in 1..64";
    QTest::newRow("bad choice names the choices")
        << QStringList { "run", "race-counter", "--set", "lock=maybe" } << 2 << "expected one of none|mutex|atomic";
    QTest::newRow("bad server delay names the parameter and range") << QStringList { "run", "pools", "--set", "work=io",
        "--set", "delay_ms=-5" } << 2 << "delay_ms: expected an integer in 0..10000";
    QTest::newRow("a scenario without a chart") << QStringList { "run", "threads", "--set", "sleep_ms=10", "--chart",
        QDir::tempPath() + "/threadlab-no-chart.png" }
                                                << 1 << "this run has no chart to export";
    QTest::newRow("unknown parameter") << QStringList { "run", "threads", "--set", "workers=2" } << 2
                                       << "unknown parameter 'workers'";
    QTest::newRow("unknown option") << QStringList { "run", "threads", "--fast" } << 2 << "unknown option '--fast'";
    QTest::newRow("describe unknown") << QStringList { "describe", "nope" } << 2 << "unknown scenario 'nope'";
    QTest::newRow("success") << QStringList { "run", "threads", "--set", "sleep_ms=10" } << 0 << "";
}

void TestCli::exitCodes()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    QFETCH(QString, message);
    const auto r = threadlab(args);
    QCOMPARE(r.code, code);
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
}

void TestCli::jsonSummaryHasTheDocumentedKeys_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("resultKeys");
    QTest::addColumn<QStringList>("workerKeys");
    QTest::newRow("race-counter") << QStringList { "run", "race-counter", "--set", "increments=20000", "--json" }
                                  << QStringList { "expected", "actual", "lost_updates" }
                                  << QStringList { "name", "wait_ns", "hold_ns", "acquisitions", "increments" };
    QTest::newRow("lock-contention") << QStringList { "run", "lock-contention", "--set", "iterations=50", "--json" }
                                     << QStringList { "contention", "throughput_per_s" }
                                     << QStringList { "name", "wait_ns", "hold_ns", "acquisitions", "longest_wait_ns" };
    QTest::newRow("threads") << QStringList { "run", "threads", "--set", "sleep_ms=50", "--json" }
                             << QStringList { "threads", "active_count" } << QStringList { "name" };
}

void TestCli::jsonSummaryHasTheDocumentedKeys()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, resultKeys);
    QFETCH(QStringList, workerKeys);
    const auto r = threadlab(args);
    QCOMPARE(r.code, 0);
    QJsonParseError error;
    const QJsonObject json = QJsonDocument::fromJson(r.out, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    for (const char* key : { "scenario", "params", "duration_ms", "events", "dropped_events", "workers", "results" })
        QVERIFY2(json.contains(QLatin1String(key)), key);
    QCOMPARE(json[u"scenario"].toString(), args[1]);
    QVERIFY(json[u"events"].toInteger() > 0);
    for (const auto& key : resultKeys)
        QVERIFY2(json[u"results"].toObject().contains(key), qPrintable(key));
    const QJsonArray workers = json[u"workers"].toArray();
    QVERIFY(!workers.isEmpty());
    for (const auto& w : workers)
        for (const auto& key : workerKeys)
            QVERIFY2(w.toObject().contains(key), qPrintable(key));
}

void TestCli::writesEveryOutputFile()
{
    QTemporaryDir dir;
    const QStringList files { "t.png", "t.svg", "t.pdf", "t.json", "t.csv" };
    const auto r = threadlab({ "run", "race-counter", "--set", "increments=5000", "--set", "lock=none", "--png",
        dir.filePath("t.png"), "--svg", dir.filePath("t.svg"), "--pdf", dir.filePath("t.pdf"), "--trace",
        dir.filePath("t.json"), "--csv", dir.filePath("t.csv") });
    QCOMPARE(r.code, 0);
    for (const auto& f : files)
        QVERIFY2(QFileInfo(dir.filePath(f)).size() > 100, qPrintable(f));
}

void TestCli::writesTheSpeedupChart()
{
    QTemporaryDir dir;
    const auto r = threadlab({ "run", "sweep", "--set", "max_workers=2", "--set", "tasks=2", "--set", "number=1000",
        "--chart", dir.filePath("sweep.png"), "--json" });
    QCOMPARE(r.code, 0);
    QImage chart(dir.filePath("sweep.png"));
    QVERIFY(!chart.isNull());
    QVERIFY(chart.width() >= 960);
    const auto summary = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(summary[u"results"][u"rows"].toArray().size(), 4);
}

void TestCli::unwritableOutputFailsBeforeTheRun()
{
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("no/such/dir/t.png"));
    const auto r = threadlab({ "run", "threads", "--set", "sleep_ms=60000", "--png", bad });
    QCOMPARE(r.code, 2); // at once: the 60 s run never started
    QVERIFY(r.err.contains("does not exist"));
    QVERIFY(!QFile::exists(bad));
}

void TestCli::manPageDocumentsEveryOptionOfHelp()
{
    const auto help = threadlab({ QStringLiteral("--help") });
    QFile page(QStringLiteral(THREADLAB_MANPAGE));
    QVERIFY(page.open(QIODevice::ReadOnly));
    const QString man = QString::fromUtf8(page.readAll()).remove(u'\\'); // roff "\-\-png" reads "--png"
    const QRegularExpression option(QStringLiteral("(--[a-z]+)"));
    int checked = 0;
    for (auto it = option.globalMatch(QString::fromUtf8(help.out)); it.hasNext(); ++checked) {
        const QString name = it.next().captured(1);
        QVERIFY2(man.contains(name), qPrintable(name + QStringLiteral(" is in --help but not in the man page")));
    }
    QVERIFY(checked >= 10);
    for (const auto& info : { "race-counter", "lock-contention", "threads" })
        QVERIFY2(man.contains(QLatin1String(info)), info);
}

namespace {
// System V segments created by process `pid`: only the run's own, whatever else the machine holds.
int segmentsCreatedBy(qint64 pid)
{
    QFile table(QStringLiteral("/proc/sysvipc/shm"));
    if (!table.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> lines = table.readAll().split('\n');
    int column = -1;
    int n = 0;
    for (const QByteArray& line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (column < 0) {
            column = int(fields.indexOf("cpid"));
            continue;
        }
        if (column >= 0 && fields.size() > column && fields[column].toLongLong() == pid)
            ++n;
    }
    return n;
}
}

void TestCli::sharedMemoryOfAKilledRunIsRemovedAtTheNextStart()
{
    QProcess run;
    run.start(QStringLiteral(THREADLAB_EXE),
        { QStringLiteral("run"), QStringLiteral("child-processes"), QStringLiteral("--set"),
            QStringLiteral("work_ms=600000") });
    QVERIFY(run.waitForStarted());
    const qint64 pid = run.processId();
    // One event segment per child, made by the run itself.
    QTRY_COMPARE_WITH_TIMEOUT(segmentsCreatedBy(pid), 3, 20000);
    run.kill(); // SIGKILL: no chance to clean up; its children die with it
    QVERIFY(run.waitForFinished());
    QTest::qWait(200);
    QCOMPARE(segmentsCreatedBy(pid), 3); // System V segments survive their owner

    const auto next = threadlab({ QStringLiteral("--list") });
    QCOMPARE(next.code, 0);
    QVERIFY(next.err.contains("left by a ThreadLab that was killed"));
    QCOMPARE(segmentsCreatedBy(pid), 0);
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
