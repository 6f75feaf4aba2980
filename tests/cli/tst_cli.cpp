#include "../support/cli.h"

#include <scenarios/registry.h>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <functional>
#include <set>
#include <sys/resource.h>
#include <sys/stat.h>

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
    void readmeAndManPageListEveryScenarioAndParameter();
    void sharedMemoryOfAKilledRunIsRemovedAtTheNextStart();
    void fullFileSystemKeepsTheOldFile_data();
    void fullFileSystemKeepsTheOldFile();
    void nonRegularTargetsAreRefusedBeforeTheRun_data();
    void nonRegularTargetsAreRefusedBeforeTheRun();
    void dashWritesToStandardOutput();
    void exportsAgreeOnThreadsAndTimeZero();
    void aChromeJsonTooLargeForDevToolsIsRefused();
    void repeatedOptionsLastOneWins();
    void stopSignalEndsARunCleanly_data();
    void stopSignalEndsARunCleanly();
    void signalAtTheFirstInstructionEndsTheRunCleanly();
    void windowClosesOnSigterm();

private:
    using Result = tl::test::CliResult;
    // `inChild` runs in the child between fork and exec (resource limits, signal mask).
    static Result threadlab(const QStringList& args, const std::function<void()>& inChild = {})
    {
        return tl::test::runThreadlab(args, inChild);
    }
};

using tl::test::childrenOf;
using tl::test::contents;
using tl::test::headlessEnvironment;
using tl::test::ledgersOf;
using tl::test::segmentsCreatedBy;

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
    QTest::newRow("unknown scenario lists the real ones") << QStringList { "run", "race" } << 2
                                                          << "unknown scenario 'race' (did you mean 'race-counter'?); "
                                                             "available: race-counter, lock-contention, threads";
    QTest::newRow("out of range names the parameter and range") << QStringList { "run", "race-counter", "--set",
        "workers=100" } << 2 << "workers: expected an integer in 1..64";
    QTest::newRow("bad choice names the choices")
        << QStringList { "run", "race-counter", "--set", "lock=maybe" } << 2 << "expected one of none|mutex|atomic";
    QTest::newRow("bad server delay names the parameter and range") << QStringList { "run", "pools", "--set", "work=io",
        "--set", "delay_ms=-5" } << 2 << "delay_ms: expected an integer in 0..10000";
    QTest::newRow("unknown scenario close to a real one")
        << QStringList { "run", "race-countr" } << 2 << "unknown scenario 'race-countr' (did you mean 'race-counter'?)";
    QTest::newRow("a scenario name in capitals") << QStringList { "run", "RACE-COUNTER" } << 2
                                                 << "unknown scenario 'RACE-COUNTER' (did you mean 'race-counter'?)";
    QTest::newRow("a choice in capitals names the spelling")
        << QStringList { "run", "race-counter", "--set", "lock=MUTEX" } << 2
        << "invalid value 'MUTEX' for lock: expected one of none|mutex|atomic (did you mean 'mutex'?)";
    QTest::newRow("a boolean as yes names the spelling") << QStringList { "run", "child-processes", "--set",
        "kill_one=yes" } << 2 << "for kill_one: expected one of true|false (did you mean 'true'?)";
    // Refused before the run: the 60 s run never starts.
    QTest::newRow("a scenario without a chart") << QStringList {
        "run", "threads", "--set", "sleep_ms=60000", "--chart", QDir::tempPath() + "/threadlab-no-chart.png"
    } << 2 << "--chart: threads has no results chart; these scenarios have one:";
    QTest::newRow("the pools family has no chart")
        << QStringList { "run", "gil", "--chart", QDir::tempPath() + "/threadlab-no-chart.png" } << 2
        << "gil has no results chart";
    QTest::newRow("unknown command, with the usage line")
        << QStringList { "bogus" } << 2 << "unknown command 'bogus'\nusage: threadlab [--list | describe NAME";
    QTest::newRow("mistyped command") << QStringList { "rn", "race-counter" } << 2
                                      << "unknown command 'rn' (did you mean 'run'?)";
    QTest::newRow("a scenario for a command")
        << QStringList { "race-counter" } << 2 << "(did you mean 'run race-counter'?)";
    QTest::newRow("a size that is no size names the limits")
        << QStringList { "run", "threads", "--set", "sleep_ms=60000", "--size", "100x100", "--png", "x.png" } << 2
        << "--size: '100x100' is not WIDTHxHEIGHT with a width of 640..7680 and a height of 360..4320 pixels";
    QTest::newRow("PNG cannot stream") << QStringList { "run", "threads", "--png", "-" } << 2
                                       << "--png cannot write to standard output (-)";
    QTest::newRow("one stream at most") << QStringList { "run", "threads", "--csv", "-", "--json" } << 2
                                        << "only one of --json and the outputs given as '-'";
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
    QVERIFY(!QFile::exists(QDir::tempPath() + "/threadlab-no-chart.png"));
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
                                     << QStringList { "name", "wait_ns", "hold_ns", "acquisitions", "waited",
                                            "longest_wait_ns" };
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
    QCOMPARE(QImage(dir.filePath("t.png")).size(), QSize(1920, 1080)); // a 16:9 slide unless told otherwise
    const auto small = threadlab({ "run", "race-counter", "--set", "increments=5000", "--size", "1280x720", "--png",
        dir.filePath("small.png") });
    QCOMPARE(small.code, 0);
    QCOMPARE(QImage(dir.filePath("small.png")).size(), QSize(1280, 720));
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

void TestCli::readmeAndManPageListEveryScenarioAndParameter()
{
    // What `describe` and the GUI form are made from, against the two documents a person reads.
    QFile readmeFile(QStringLiteral(THREADLAB_README));
    QFile manFile(QStringLiteral(THREADLAB_MANPAGE));
    QVERIFY(readmeFile.open(QIODevice::ReadOnly) && manFile.open(QIODevice::ReadOnly));
    const QString readme = QString::fromUtf8(readmeFile.readAll());
    const QString man = QString::fromUtf8(manFile.readAll()).remove(u'\\');
    const auto catalog = tl::scenarioCatalog();
    QVERIFY(catalog.size() >= 16);
    for (const tl::ScenarioInfo& info : catalog) {
        QVERIFY2(man.contains(QStringLiteral(".B ") + info.name),
            qPrintable(info.name + QStringLiteral(" is not in the man page")));
        // The scenario's section: from its heading to the next heading.
        const qsizetype from = readme.indexOf(QStringLiteral("\n### ") + info.name + QStringLiteral(" — "));
        QVERIFY2(from >= 0, qPrintable(info.name + QStringLiteral(" has no section in the README")));
        const qsizetype to = readme.indexOf(QRegularExpression(QStringLiteral("\n##+ ")), from + 1);
        const QString section = readme.mid(from, to < 0 ? -1 : to - from);
        // Its table's rows: names, defaults and valid values ("| producers, consumers | 1, 1 | 1..8 |"
        // documents both).
        struct Row {
            QString shownDefault;
            QString valid;
        };
        QHash<QString, Row> rows;
        for (const QString& line : section.split(u'\n')) {
            if (!line.startsWith(QStringLiteral("| ")))
                continue;
            const QStringList names = line.section(u'|', 1, 1).split(u',');
            const QStringList defaults = line.section(u'|', 2, 2).split(u',');
            for (qsizetype i = 0; i < names.size(); ++i)
                rows.insert(QString(names[i]).remove(QStringLiteral("⟳")).trimmed(),
                    { defaults.value(i).trimmed().section(u' ', 0, 0), line.section(u'|', 3, 3) });
        }
        for (const tl::ParamSpec& param : info.params) {
            const QString where = QStringLiteral("the README's %1 section, parameter %2").arg(info.name, param.name);
            // Where the section tells them in prose, each in backticks.
            if (!rows.contains(param.name)) {
                QVERIFY2(section.contains(u'`' + param.name + u'`'), qPrintable(where + QStringLiteral(": missing")));
                continue;
            }
            // In step with `describe`: the same default, and every valid value or the same range.
            const Row row = rows[param.name];
            QVERIFY2(row.shownDefault == param.format(param.defaultValue),
                qPrintable(QStringLiteral("%1: default %2, describe says %3")
                               .arg(where, row.shownDefault, param.format(param.defaultValue))));
            const QStringList valid = param.type == tl::ParamType::Integer ? QStringList { param.validValues() }
                                                                           : param.validValues().split(u'|');
            for (const QString& value : valid)
                QVERIFY2(row.valid.contains(value),
                    qPrintable(QStringLiteral("%1: valid '%2' does not name %3").arg(where, row.valid, value)));
        }
    }
}

void TestCli::sharedMemoryOfAKilledRunIsRemovedAtTheNextStart()
{
    // The killed run's ledger in a runtime directory of this test's own: every ThreadLab that starts removes
    // what killed ThreadLabs left in the directories it knows, so one started by anything else on the machine
    // meanwhile (a user, a fuzzer) would do this test's "next start" for it.
    QTemporaryDir runtime;
    QProcessEnvironment env = headlessEnvironment();
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
    QProcess run;
    run.setProcessEnvironment(env);
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

    QProcess next;
    next.setProcessEnvironment(env);
    next.start(QStringLiteral(THREADLAB_EXE), { QStringLiteral("--list") });
    QVERIFY(next.waitForFinished(240000));
    QCOMPARE(next.exitCode(), 0);
    QVERIFY(next.readAllStandardError().contains("left by a ThreadLab that was killed"));
    QCOMPARE(segmentsCreatedBy(pid), 0);
}

namespace {
// The limit a full file system sets, as a file size limit (works unprivileged): writing past it fails
// with EFBIG instead of killing the process (SIGXFSZ ignored, which survives exec).
constexpr rlim_t kFileSizeLimit = 4096;
void limitFileSize()
{
    const rlimit limit { kFileSizeLimit, kFileSizeLimit };
    ::setrlimit(RLIMIT_FSIZE, &limit);
    ::signal(SIGXFSZ, SIG_IGN);
}

bool isFifo(const QString& path)
{
    struct stat st { };
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISFIFO(st.st_mode);
}

// The signals /proc/PID/status says the process blocks (its main thread's mask).
std::uint64_t blockedSignals(const QString& pid)
{
    for (const QByteArray& line : contents(QStringLiteral("/proc/%1/status").arg(pid)).split('\n'))
        if (line.startsWith("SigBlk:"))
            return line.mid(7).trimmed().toULongLong(nullptr, 16);
    return 0;
}

void blockStopSignals()
{
    sigset_t set;
    sigemptyset(&set);
    for (const int signo : { SIGINT, SIGTERM, SIGHUP })
        sigaddset(&set, signo);
    ::sigprocmask(SIG_BLOCK, &set, nullptr);
}
}

void TestCli::fullFileSystemKeepsTheOldFile_data()
{
    QTest::addColumn<QStringList>("run");
    QTest::addColumn<QString>("file");
    const QStringList race { "run", "race-counter", "--set", "increments=5000", "--set", "lock=none" };
    QTest::newRow("png") << race + QStringList { "--png" } << "t.png";
    QTest::newRow("svg") << race + QStringList { "--svg" } << "t.svg";
    QTest::newRow("pdf") << race + QStringList { "--pdf" } << "t.pdf";
    QTest::newRow("trace") << race + QStringList { "--trace" } << "t.json";
    QTest::newRow("csv") << race + QStringList { "--csv" } << "t.csv";
    QTest::newRow("chart") << QStringList { "run", "sweep", "--set", "max_workers=2", "--set", "tasks=2", "--set",
        "number=1000", "--chart" }
                           << "sweep.png";
}

void TestCli::fullFileSystemKeepsTheOldFile()
{
    QFETCH(QStringList, run);
    QFETCH(QString, file);
    QTemporaryDir dir;
    const QString target = dir.filePath(file);
    const QByteArray earlier = "a good file from an earlier run\n";
    {
        QFile f(target);
        QVERIFY(f.open(QIODevice::WriteOnly) && f.write(earlier) == earlier.size());
    }
    const auto r = threadlab(run << target, limitFileSize);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(("cannot write " + target + ": File too large").toUtf8()), r.err.constData());
    QCOMPARE(contents(target), earlier);
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::System), QStringList { file });

    // The same output without the limit is far larger than it: the limit did cut it.
    const auto unlimited = threadlab(run);
    QCOMPARE(unlimited.code, 0);
    QVERIFY(QFileInfo(target).size() > qint64(kFileSizeLimit));
}

void TestCli::nonRegularTargetsAreRefusedBeforeTheRun_data()
{
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("target"); // "FIFO" and "link to FIFO": made in a temporary directory
    QTest::addColumn<QString>("message");
    QTest::newRow("FIFO") << "--csv"
                          << "FIFO"
                          << "is a FIFO, not a regular file";
    QTest::newRow("symlink to a FIFO") << "--svg"
                                       << "link to FIFO"
                                       << "is a FIFO, not a regular file";
    QTest::newRow("device") << "--trace"
                            << "/dev/null"
                            << "/dev/null: is a device, not a regular file";
    QTest::newRow("/proc") << "--png"
                           << "/proc/threadlab-test.png"
                           << "is in /proc, a kernel file system";
    QTest::newRow("/sys") << "--pdf"
                          << "/sys/kernel/threadlab-test.pdf"
                          << "is in /sys, a kernel file system";
}

void TestCli::nonRegularTargetsAreRefusedBeforeTheRun()
{
    QFETCH(QString, option);
    QFETCH(QString, target);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString fifo = dir.filePath(QStringLiteral("fifo"));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    QVERIFY(QFile::link(fifo, dir.filePath(QStringLiteral("link"))));
    const QString path = target == u"FIFO" ? fifo : target == u"link to FIFO" ? dir.filePath("link") : target;
    struct stat before { };
    const bool existed = ::stat(QFile::encodeName(path).constData(), &before) == 0;

    const auto r = threadlab({ "run", "threads", "--set", "sleep_ms=60000", option, path });
    QCOMPARE(r.code, 2); // at once: the 60 s run never started
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    QVERIFY(isFifo(fifo));
    struct stat after { };
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &after) == 0, existed);
    if (existed)
        QCOMPARE(after.st_mode, before.st_mode);
}

void TestCli::dashWritesToStandardOutput()
{
    const QStringList race { "run", "race-counter", "--set", "increments=2000" };
    const auto csv = threadlab(race + QStringList { "--csv", "-" });
    QCOMPARE(csv.code, 0);
    QVERIFY2(
        csv.out.startsWith(
            "time_since_start_ns,row,process,pid,worker,tid,worker_name,kind,lock,cpu,counter,value,value_meaning\n"),
        csv.out.left(200).constData());
    QVERIFY(csv.out.count('\n') > 100);
    QVERIFY2(csv.err.contains("race-counter: "), csv.err.constData()); // the summary, out of the CSV's way

    const auto trace = threadlab(race + QStringList { "--trace=-" });
    QCOMPARE(trace.code, 0);
    QJsonParseError error;
    const QJsonObject json = QJsonDocument::fromJson(trace.out, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QVERIFY(!json[u"traceEvents"].toArray().isEmpty());
}

// One run's files name its threads and times alike: every export's thread ids are --json's (the ids gettid()
// gave, a child's threads its own), and every export counts time from the run's start.
void TestCli::exportsAgreeOnThreadsAndTimeZero()
{
    QTemporaryDir dir;
    const auto r = threadlab({ "run", "child-processes", "--set", "children=2", "--set", "work_ms=20", "--json",
        "--trace", dir.filePath("t.json"), "--csv", dir.filePath("e.csv"), "--spans-csv", dir.filePath("s.csv") });
    QCOMPARE(r.code, 0);
    using Threads = std::set<std::pair<QString, qint64>>; // (worker name, tid): each child has a MainThread
    Threads tids; // as --json says
    for (const auto& w : QJsonDocument::fromJson(r.out).object()[u"workers"].toArray())
        tids.insert({ w[u"name"].toString(), w[u"tid"].toInteger() });
    QCOMPARE(tids.size(), std::size_t(3));

    Threads inJson;
    qint64 firstJsonUs = INT64_MAX;
    const QJsonObject trace = QJsonDocument::fromJson(contents(dir.filePath("t.json"))).object();
    QVERIFY(trace[u"otherData"][u"time_zero"].toString().contains(u"the run's start"));
    for (const auto& v : trace[u"traceEvents"].toArray()) {
        const QJsonObject e = v.toObject();
        if (e[u"name"].toString() == u"thread_name" && e[u"args"][u"name"].toString() != u"phases")
            inJson.insert({ e[u"args"][u"name"].toString(), e[u"tid"].toInteger() });
        if (e[u"ph"].toString() == u"X" && e[u"cat"].toString() != u"phase")
            firstJsonUs = std::min(firstJsonUs, qint64(e[u"ts"].toDouble()));
    }
    QCOMPARE(inJson, tids);

    for (const char* file : { "e.csv", "s.csv" }) {
        const QList<QByteArray> lines = contents(dir.filePath(QLatin1String(file))).split('\n');
        const QList<QByteArray> header = lines.first().split(',');
        const auto tid = header.indexOf("tid"), name = header.indexOf("worker_name");
        QVERIFY(tid >= 0 && name >= 0);
        Threads inCsv;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QList<QByteArray> fields = lines[i].split(',');
            if (fields.size() > name && fields[name].size() > 2) // a worker's row: its name, quoted
                inCsv.insert(
                    { QString::fromUtf8(fields[name].mid(1, fields[name].size() - 2)), fields[tid].toLongLong() });
        }
        QCOMPARE(inCsv, tids);
    }
    // Time zero: the spans CSV's first span starts where the JSON's first slice does (µs in the JSON).
    const QList<QByteArray> spans = contents(dir.filePath("s.csv")).split('\n');
    const auto start = spans.first().split(',').indexOf("start_since_start_ns");
    qint64 firstCsvNs = INT64_MAX;
    for (qsizetype i = 1; i < spans.size(); ++i)
        if (const QList<QByteArray> f = spans[i].split(','); f.size() > start)
            firstCsvNs = std::min(firstCsvNs, f[start].toLongLong());
    QCOMPARE(firstJsonUs, firstCsvNs / 1000);
}

// A Chrome JSON DevTools cannot open (past 0x1fffffe8 characters; here a lower limit stands in for it) is not
// written: the run says so with the way out, leaves no file, and the other outputs are written.
void TestCli::aChromeJsonTooLargeForDevToolsIsRefused()
{
    QTemporaryDir dir;
    QProcessEnvironment env = headlessEnvironment();
    env.insert(QStringLiteral("THREADLAB_CHROME_JSON_LIMIT"), QStringLiteral("100000"));
    const auto r = tl::test::runThreadlab({ "run", "race-counter", "--set", "increments=20000", "--trace",
                                              dir.filePath("t.json"), "--perfetto", dir.filePath("t.perfetto-trace") },
        {}, env);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("more than DevTools can open") && r.err.contains("--perfetto"), r.err.constData());
    QVERIFY(!QFile::exists(dir.filePath("t.json")));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden).size(), 1); // no temporary left either
    QVERIFY(QFileInfo(dir.filePath("t.perfetto-trace")).size() > 1000);
    // Under the limit the same run writes it.
    const auto small = tl::test::runThreadlab(
        { "run", "race-counter", "--set", "increments=20", "--trace", dir.filePath("t.json") }, {}, env);
    QCOMPARE(small.code, 0);
    QVERIFY(QFileInfo(dir.filePath("t.json")).size() > 0);
}

void TestCli::repeatedOptionsLastOneWins()
{
    QTemporaryDir dir;
    const auto r = threadlab({ "run", "threads", "--set", "sleep_ms=10", "--set", "sleep_ms=20", "--png",
        dir.filePath("a.png"), "--png", dir.filePath("b.png"), "--json" });
    QCOMPARE(r.code, 0);
    QCOMPARE(r.err.count("note: --set sleep_ms given twice; using sleep_ms=20\n"), 1);
    QCOMPARE(r.err.count(("note: --png given twice; using " + dir.filePath("b.png") + "\n").toUtf8()), 1);
    QCOMPARE(QJsonDocument::fromJson(r.out).object()[u"params"][u"sleep_ms"].toInteger(), 20);
    QVERIFY(!QFile::exists(dir.filePath("a.png")));
    QVERIFY(!QImage(dir.filePath("b.png")).isNull());
}

void TestCli::stopSignalEndsARunCleanly_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("signo");
    QTest::addColumn<QString>("name");
    QTest::newRow("SIGTERM, spawned child processes")
        << QStringList { "run", "child-processes", "--set", "work_ms=600000", "--set", "start=spawn" } << int(SIGTERM)
        << "SIGTERM";
    QTest::newRow("SIGHUP, shared memory and a semaphore") << QStringList { "run", "shared-memory", "--set",
        "children=2", "--set", "repeats=100000000", "--set", "lock=semaphore" }
                                                           << int(SIGHUP) << "SIGHUP";
    QTest::newRow("SIGINT, forked child processes")
        << QStringList { "run", "child-processes", "--set", "work_ms=600000" } << int(SIGINT) << "SIGINT";
}

void TestCli::stopSignalEndsARunCleanly()
{
    QFETCH(QStringList, args);
    QFETCH(int, signo);
    QFETCH(QString, name);
    QTemporaryDir dir;
    const QString trace = dir.filePath(QStringLiteral("t.json"));
    QProcess run;
    run.setProcessEnvironment(headlessEnvironment());
    run.start(QStringLiteral(THREADLAB_EXE), args << "--trace" << trace);
    QVERIFY(run.waitForStarted());
    const qint64 pid = run.processId();
    // Mid-run: its children run and its segments exist, each listed in its ledger.
    QTRY_VERIFY_WITH_TIMEOUT(childrenOf(pid).size() >= 2 && segmentsCreatedBy(pid) > 0, 120000);
    const QStringList children = childrenOf(pid);
    QCOMPARE(ledgersOf(pid).size(), 1);
    // ThreadLab blocks its stop signals in all its threads; its children must not inherit that mask.
    // (Once it has exec'd: between fork and exec a child still has the parent's. A forked child that never
    // execs clears it itself.)
    for (const QString& child : children) {
        QTRY_VERIFY_WITH_TIMEOUT(contents(QStringLiteral("/proc/%1/cmdline").arg(child)).contains("--child")
                || (blockedSignals(child) & (std::uint64_t(1) << (signo - 1))) == 0
                || !QFileInfo::exists(QStringLiteral("/proc/") + child),
            120000);
        QCOMPARE(blockedSignals(child) & (std::uint64_t(1) << (signo - 1)), std::uint64_t(0));
    }

    QCOMPARE(::kill(pid_t(pid), signo), 0);
    QVERIFY(run.waitForFinished(240000));
    QCOMPARE(run.exitStatus(), QProcess::NormalExit);
    QCOMPARE(run.exitCode(), 128 + signo);
    QVERIFY(run.readAllStandardError().contains(("was interrupted by " + name).toUtf8()));
    for (const QString& child : children)
        QVERIFY2(!QFileInfo::exists(QStringLiteral("/proc/") + child), qPrintable(child));
    QCOMPARE(segmentsCreatedBy(pid), 0);
    QCOMPARE(ledgersOf(pid), QStringList()); // every key the run made was removed by its stop path
    QJsonParseError error;
    QJsonDocument::fromJson(contents(trace), &error); // the output of what ran: complete
    QCOMPARE(error.error, QJsonParseError::NoError);
}

void TestCli::signalAtTheFirstInstructionEndsTheRunCleanly()
{
    // Sent while the launcher's mask still blocks it (a mask survives exec), SIGINT is delivered the moment
    // ThreadLab lets it in: as early as it can possibly see one.
    QProcess run;
    run.setProcessEnvironment(headlessEnvironment());
    run.setChildProcessModifier(blockStopSignals);
    run.start(QStringLiteral(THREADLAB_EXE), { "run", "child-processes", "--set", "work_ms=60000" });
    QVERIFY(run.waitForStarted());
    const qint64 pid = run.processId();
    QCOMPARE(::kill(pid_t(pid), SIGINT), 0);
    QVERIFY(run.waitForFinished(240000));
    QCOMPARE(run.exitStatus(), QProcess::NormalExit);
    QCOMPARE(run.exitCode(), 128 + SIGINT);
    QVERIFY(run.readAllStandardError().contains("child-processes was interrupted by SIGINT before it started"));
    QCOMPARE(segmentsCreatedBy(pid), 0);
    QCOMPARE(ledgersOf(pid), QStringList());
}

void TestCli::windowClosesOnSigterm()
{
    // The window, off screen, with settings of its own; SIGTERM reaches it pending from the start (as above).
    QTemporaryDir home;
    QProcess app;
    QProcessEnvironment env = headlessEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.path());
    app.setProcessEnvironment(env);
    app.setChildProcessModifier(blockStopSignals);
    app.start(QStringLiteral(THREADLAB_EXE), {});
    QVERIFY(app.waitForStarted());
    QCOMPARE(::kill(pid_t(app.processId()), SIGTERM), 0);
    QVERIFY(app.waitForFinished(240000));
    QCOMPARE(app.exitStatus(), QProcess::NormalExit);
    QCOMPARE(app.exitCode(), 128 + SIGTERM);
    // It closed the normal way: the window saved its geometry on the way out.
    QVERIFY(
        QDirIterator(home.path(), { QStringLiteral("*.conf") }, QDir::Files, QDirIterator::Subdirectories).hasNext());
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
