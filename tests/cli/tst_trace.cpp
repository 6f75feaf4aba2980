#include "../support/cli.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <map>
#include <set>

using namespace Qt::StringLiterals;
using tl::test::contents;

// `threadlab trace -- PROGRAM`, end to end: the real executable traces C programs this test compiles with the
// system's compiler, which print what they did (their pids, tids, counts) for the test to compare against.
class TestTrace : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void theProgramsStatusIsTraces_data();
    void theProgramsStatusIsTraces();
    void aProgramThatCannotStartIsRefusedLikeAShell_data();
    void aProgramThatCannotStartIsRefusedLikeAShell();
    void theProgramsOutputPassesThroughUnchanged();
    void everyProcessAndThreadOfTheTreeIsShown();
    void locksAndThreadsAsTheProgramCountedThem();
    void aStaticProgramIsShownWithoutLockDetailAndSaysWhy();
    void aCrashLeavesNothingBehind();
    void theFirstSignalIsPassedOnAndASecondEndsTheProgram();
    void theExamplesRunTracedAndShowTheirLesson_data();
    void theExamplesRunTracedAndShowTheirLesson();

private:
    // Compiles `source` (C) into an executable named `name` in the test's directory; extra flags after.
    QString compile(const QString& name, const QByteArray& source, const QStringList& flags = {});
    static tl::test::CliResult trace(const QStringList& args) { return tl::test::runThreadlab(args); }
    static QJsonObject summaryAfter(const QByteArray& out, const QByteArray& programOutput);
    QTemporaryDir m_dir;
};

void TestTrace::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

QString TestTrace::compile(const QString& name, const QByteArray& source, const QStringList& flags)
{
    const QString src = m_dir.filePath(name + QStringLiteral(".c"));
    QFile f(src);
    if (!f.open(QIODevice::WriteOnly) || f.write(source) != source.size())
        qFatal("cannot write %s", qPrintable(src));
    f.close();
    const QString exe = m_dir.filePath(name);
    QProcess cc;
    cc.start(QStringLiteral("cc"),
        QStringList { QStringLiteral("-O1"), QStringLiteral("-pthread"), src, QStringLiteral("-o"), exe } + flags);
    if (!cc.waitForFinished(120000) || cc.exitCode() != 0)
        qFatal("cc failed: %s", cc.readAllStandardError().constData());
    return exe;
}

// The JSON summary printed after the program's own output.
QJsonObject TestTrace::summaryAfter(const QByteArray& out, const QByteArray& programOutput)
{
    if (!out.startsWith(programOutput))
        return {};
    return QJsonDocument::fromJson(out.mid(programOutput.size())).object();
}

void TestTrace::theProgramsStatusIsTraces_data()
{
    QTest::addColumn<QString>("script");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("signal");
    QTest::newRow("exit 7") << QStringLiteral("exit 7") << 7 << QString();
    QTest::newRow("exit 0") << QStringLiteral("exit 0") << 0 << QString();
    QTest::newRow("SIGSEGV") << QStringLiteral("kill -SEGV $$") << 128 + SIGSEGV << QStringLiteral("SIGSEGV");
}

void TestTrace::theProgramsStatusIsTraces()
{
    QFETCH(QString, script);
    QFETCH(int, code);
    QFETCH(QString, signal);
    const auto r = trace({ QStringLiteral("trace"), QStringLiteral("--json"), QStringLiteral("--"),
        QStringLiteral("/bin/sh"), QStringLiteral("-c"), script });
    QCOMPARE(r.code, code);
    const QJsonObject summary = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(summary[u"scenario"].toString(), QStringLiteral("trace"));
    if (signal.isEmpty()) {
        QCOMPARE(summary[u"exit_code"].toInt(-1), code);
    } else {
        QCOMPARE(summary[u"signal"].toString(), signal);
        const QJsonObject shell = summary[u"processes"].toArray().first().toObject();
        QCOMPARE(shell[u"state"].toString(), QStringLiteral("crashed (%1)").arg(signal));
    }
}

void TestTrace::aProgramThatCannotStartIsRefusedLikeAShell_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("reason");
    QTest::newRow("not in PATH") << QStringLiteral("no-such-program-here") << 127 << QStringLiteral("not found");
    QTest::newRow("no such file") << QStringLiteral("./no/such/file") << 127 << QStringLiteral("no such file");
    QTest::newRow("not executable") << QStringLiteral(THREADLAB_README) << 126 << QStringLiteral("not an executable");
}

void TestTrace::aProgramThatCannotStartIsRefusedLikeAShell()
{
    QFETCH(QString, program);
    QFETCH(int, code);
    QFETCH(QString, reason);
    const QString png = m_dir.filePath(QStringLiteral("never.png"));
    const auto r = trace({ QStringLiteral("trace"), QStringLiteral("--png"), png, QStringLiteral("--"), program });
    QCOMPARE(r.code, code);
    QVERIFY2(r.err.contains(reason.toUtf8()), r.err.constData());
    QVERIFY(!QFile::exists(png)); // no run recorded
}

void TestTrace::theProgramsOutputPassesThroughUnchanged()
{
    // Bytes a terminal would not like, and no newline at the end.
    const QString exe = compile(QStringLiteral("output"), R"(
#include <stdio.h>
int main(void) { fwrite("line 1\n\x01\xff\x00tail", 1, 12, stdout); fprintf(stderr, "to stderr"); return 0; }
)");
    const QByteArray expected("line 1\n\x01\xff\x00tail", 12);
    const auto plain = trace({ QStringLiteral("trace"), QStringLiteral("--"), exe });
    QCOMPARE(plain.code, 0);
    QCOMPARE(plain.out, expected); // the summary goes to stderr
    QVERIFY(plain.err.contains("to stderr"));
    const auto json = trace({ QStringLiteral("trace"), QStringLiteral("--json"), QStringLiteral("--"), exe });
    QCOMPARE(json.code, 0);
    QCOMPARE(summaryAfter(json.out, expected)[u"exit_code"].toInt(-1), 0);
}

void TestTrace::everyProcessAndThreadOfTheTreeIsShown()
{
    // Two named threads that sleep, and a child process that sleeps and exits 3; each says who it is.
    const QString exe = compile(QStringLiteral("tree"), R"(
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static void* nap(void* name) {
    pthread_setname_np(pthread_self(), (const char*)name);
    printf("thread %d %s\n", gettid(), (const char*)name); fflush(stdout);
    usleep(300000); return 0;
}
int main(void) {
    printf("main %d\n", getpid()); fflush(stdout);
    pthread_t a, b;
    pthread_create(&a, 0, nap, "napper-a"); pthread_create(&b, 0, nap, "napper-b");
    pid_t child = fork();
    if (child == 0) { printf("child %d %d\n", getpid(), getppid()); fflush(stdout); usleep(300000); _exit(3); }
    pthread_join(a, 0); pthread_join(b, 0);
    int status; waitpid(child, &status, 0);
    return WEXITSTATUS(status) == 3 ? 0 : 1;
}
)");
    const auto r = trace({ QStringLiteral("trace"), QStringLiteral("--json"), QStringLiteral("--"), exe });
    QCOMPARE(r.code, 0);
    // What the program said of itself: the oracle.
    qint64 mainPid = 0, childPid = 0, childPpid = 0;
    std::set<qint64> threadTids;
    const QList<QByteArray> lines = r.out.split('\n');
    qsizetype programBytes = 0;
    for (const QByteArray& line : lines) {
        const QList<QByteArray> w = line.split(' ');
        if (w[0] == "main")
            mainPid = w[1].toLongLong();
        else if (w[0] == "child")
            childPid = w[1].toLongLong(), childPpid = w[2].toLongLong();
        else if (w[0] == "thread")
            threadTids.insert(w[1].toLongLong());
        else
            break;
        programBytes += line.size() + 1;
    }
    QVERIFY(mainPid > 0 && childPid > 0);
    QCOMPARE(childPpid, mainPid);
    QCOMPARE(threadTids.size(), std::size_t(2));
    const QJsonObject summary = QJsonDocument::fromJson(r.out.mid(programBytes)).object();
    QVERIFY2(!summary.isEmpty(), r.out.constData());
    std::map<qint64, qint64> ppidOf;
    for (const auto& p : summary[u"processes"].toArray())
        ppidOf[p[u"pid"].toInteger()] = p[u"ppid"].toInteger();
    QCOMPARE(ppidOf.size(), std::size_t(2));
    QVERIFY(ppidOf.count(mainPid));
    QCOMPARE(ppidOf[childPid], mainPid);
    std::set<qint64> laneTids;
    for (const auto& w : summary[u"workers"].toArray())
        laneTids.insert(w[u"tid"].toInteger());
    for (const qint64 tid : threadTids)
        QVERIFY2(laneTids.count(tid), "each thread has its lane");
    QVERIFY(laneTids.count(mainPid));
    QVERIFY(laneTids.count(childPid));
    QCOMPARE(summary[u"exit_code"].toInt(-1), 0);
}

namespace {
// The events CSV's rows, as columns by header name (no field here holds a comma).
QList<QHash<QString, QString>> csvRows(const QByteArray& text)
{
    QList<QByteArray> lines = text.split('\n');
    const QList<QByteArray> header = lines.takeFirst().split(',');
    QList<QHash<QString, QString>> rows;
    for (const QByteArray& line : lines) {
        const QList<QByteArray> fields = line.split(',');
        if (fields.size() != header.size())
            continue;
        QHash<QString, QString> row;
        for (qsizetype i = 0; i < header.size(); ++i)
            row.insert(QString::fromUtf8(header[i]), QString::fromUtf8(fields[i]).remove(u'"'));
        rows << row;
    }
    return rows;
}
}

void TestTrace::locksAndThreadsAsTheProgramCountedThem()
{
    // Four named threads contend on one mutex while the main thread forks a child that waits on a
    // process-shared semaphore and exits with 42. The program counts its own acquisitions: the oracle.
    const QString exe = compile(QStringLiteral("contend"), R"(
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static long acquisitions;
static void* work(void* arg) {
    char name[16]; snprintf(name, sizeof name, "worker-%ld", (long)arg);
    pthread_setname_np(pthread_self(), name);
    for (int i = 0; i < 3000; ++i) {
        pthread_mutex_lock(&shared_lock); ++acquisitions;
        if (i % 100 == 0) usleep(200);
        pthread_mutex_unlock(&shared_lock);
    }
    return 0;
}
int main(void) {
    sem_t* go = mmap(0, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(go, 1, 0);
    pid_t child = fork();
    if (child == 0) { sem_wait(go); _exit(42); }
    pthread_t t[4];
    for (long i = 0; i < 4; ++i) pthread_create(&t[i], 0, work, (void*)(i + 1));
    usleep(50000); sem_post(go);
    for (int i = 0; i < 4; ++i) pthread_join(t[i], 0);
    int status; waitpid(child, &status, 0);
    printf("main %d child %d acquisitions %ld\n", getpid(), child, acquisitions);
    return WEXITSTATUS(status) == 42 ? 0 : 1;
}
)");
    const QString csv = m_dir.filePath(QStringLiteral("contend.csv"));
    const auto r = trace(
        { QStringLiteral("trace"), QStringLiteral("--csv"), csv, QStringLiteral("--json"), QStringLiteral("--"), exe });
    QCOMPARE(r.code, 0);
    const qsizetype json = r.out.indexOf("{");
    const QList<QByteArray> said = r.out.left(json).trimmed().split(' ');
    QCOMPARE(said.size(), 6);
    const qint64 mainPid = said[1].toLongLong(), childPid = said[3].toLongLong();
    const qint64 acquisitions = said[5].toLongLong();
    QCOMPARE(acquisitions, 4 * 3000);
    const QJsonObject summary = QJsonDocument::fromJson(r.out.mid(json)).object();

    // The processes: the child under its own pid, its parent the program, its exit code seen.
    QJsonObject child;
    for (const auto& p : summary[u"processes"].toArray())
        if (p[u"pid"].toInteger() == childPid)
            child = p.toObject();
    QCOMPARE(child[u"ppid"].toInteger(), mainPid);
    QCOMPARE(child[u"exit_code"].toInt(-1), 42);

    // The lanes: four named workers and the main thread in the program's process, the child in its own.
    const auto rows = csvRows(contents(csv));
    std::map<QString, std::set<qint64>> pidsOfLane;
    std::set<qint64> lanePids;
    for (const auto& row : rows) {
        pidsOfLane[row[u"worker_name"_s]].insert(row[u"pid"_s].toLongLong());
        lanePids.insert(row[u"pid"_s].toLongLong());
    }
    for (int i = 1; i <= 4; ++i)
        QCOMPARE(pidsOfLane[QStringLiteral("worker-%1").arg(i)], std::set<qint64> { mainPid });
    QVERIFY(lanePids.count(childPid));

    // Every acquisition is a hold of the mutex, named after its symbol; every wait ends in a hold.
    qint64 holds = 0;
    std::map<QString, bool> waiting; // per lane
    bool everyWaitEndsInAHold = true;
    qint64 waits = 0;
    for (const auto& row : rows) {
        if (!row[u"worker_name"_s].startsWith(u"worker-"_s))
            continue;
        const QString kind = row[u"kind"_s];
        const QString lane = row[u"worker_name"_s];
        if (kind == u"lock_wait"_s) {
            QCOMPARE(row[u"lock"_s], u"shared_lock"_s);
            waiting[lane] = true;
            ++waits;
        } else if (kind == u"lock_acquired"_s) {
            QCOMPARE(row[u"lock"_s], u"shared_lock"_s);
            ++holds;
            waiting[lane] = false;
        } else if (waiting[lane] && kind != u"switch_out"_s && kind != u"switch_in"_s) {
            everyWaitEndsInAHold = false;
        }
    }
    QCOMPARE(holds, acquisitions);
    QVERIFY(waits > 0);
    QVERIFY(everyWaitEndsInAHold);
}

void TestTrace::aStaticProgramIsShownWithoutLockDetailAndSaysWhy()
{
    // LD_PRELOAD cannot reach a statically linked program: the kernel's view still shows its threads.
    const QString exe = compile(QStringLiteral("static"), R"(
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static void* work(void* arg) {
    printf("thread %d\n", gettid()); fflush(stdout);
    for (int i = 0; i < 20; ++i) { pthread_mutex_lock(&m); usleep(10000); pthread_mutex_unlock(&m); }
    return arg;
}
int main(void) {
    pthread_t t[2];
    for (int i = 0; i < 2; ++i) pthread_create(&t[i], 0, work, 0);
    for (int i = 0; i < 2; ++i) pthread_join(t[i], 0);
    return 4;
}
)",
        { QStringLiteral("-static") });
    const auto r = trace({ QStringLiteral("trace"), QStringLiteral("--json"), QStringLiteral("--"), exe });
    QCOMPARE(r.code, 4);
    const qsizetype json = r.out.indexOf("{");
    QVERIFY(json > 0);
    std::set<qint64> printed;
    for (const QByteArray& line : r.out.left(json).split('\n'))
        if (line.startsWith("thread "))
            printed.insert(line.mid(7).toLongLong());
    const QJsonObject summary = QJsonDocument::fromJson(r.out.mid(json)).object();
    std::set<qint64> lanes;
    for (const auto& w : summary[u"workers"].toArray())
        lanes.insert(w[u"tid"].toInteger());
    for (const qint64 tid : printed)
        QVERIFY2(lanes.count(tid), "a static program's threads have lanes");
    QCOMPARE(summary[u"results"][u"locks"].toInt(-1), 0);
    QVERIFY(summary[u"account"].toString().contains(QStringLiteral("No lock detail")));
    QVERIFY(summary[u"account"].toString().contains(QStringLiteral("statically linked")));
}

void TestTrace::aCrashLeavesNothingBehind()
{
    // The program forks a child that outlives it a little, then crashes.
    const QString exe = compile(QStringLiteral("crash"), R"(
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    pid_t child = fork();
    if (child == 0) { usleep(200000); _exit(0); }
    printf("%d\n", child); fflush(stdout);
    raise(SIGSEGV);
    return 0;
}
)");
    QProcess p;
    p.setProcessEnvironment(tl::test::headlessEnvironment());
    p.start(tl::test::threadlabExe(), { QStringLiteral("trace"), QStringLiteral("--"), exe });
    QVERIFY(p.waitForStarted());
    const qint64 threadlab = p.processId();
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 128 + SIGSEGV);
    const qint64 child = p.readAllStandardOutput().trimmed().toLongLong();
    QVERIFY(child > 0);
    // The trace waited for the child: it is gone, and so is the trace's shared memory.
    QVERIFY(!QFile::exists(QStringLiteral("/proc/%1").arg(child)));
    const QStringList arenas = QDir(QStringLiteral("/dev/shm"))
                                   .entryList({ QStringLiteral("threadlab-arena-%1-*").arg(threadlab) }, QDir::Files);
    QVERIFY2(arenas.isEmpty(), qPrintable(arenas.join(u' ')));
}

void TestTrace::theFirstSignalIsPassedOnAndASecondEndsTheProgram()
{
    {
        // A program that does not ignore it ends by it, and trace says so with the shell's status.
        QProcess p;
        p.setProcessEnvironment(tl::test::headlessEnvironment());
        p.start(tl::test::threadlabExe(),
            { QStringLiteral("trace"), QStringLiteral("--"), QStringLiteral("/bin/sh"), QStringLiteral("-c"),
                QStringLiteral("echo ready; exec sleep 30") });
        QVERIFY(p.waitForStarted());
        QByteArray out;
        while (!out.contains("ready\n") && p.waitForReadyRead(30000))
            out += p.readAllStandardOutput();
        ::kill(pid_t(p.processId()), SIGTERM);
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 128 + SIGTERM);
    }
    // A program that ignores SIGTERM: the first is passed on (and ignored), the second ends the trace, which
    // ends the program: SIGTERM, then SIGKILL after the grace period.
    QProcess p;
    p.setProcessEnvironment(tl::test::headlessEnvironment());
    p.start(tl::test::threadlabExe(),
        { QStringLiteral("trace"), QStringLiteral("--json"), QStringLiteral("--"), QStringLiteral("/bin/sh"),
            QStringLiteral("-c"), QStringLiteral("trap '' TERM; echo ready; while :; do sleep 0.05; done") });
    QVERIFY(p.waitForStarted());
    QByteArray out;
    while (!out.contains("ready\n") && p.waitForReadyRead(30000))
        out += p.readAllStandardOutput();
    QVERIFY(out.contains("ready\n"));
    ::kill(pid_t(p.processId()), SIGTERM);
    QVERIFY(!p.waitForFinished(500)); // passed on, and ignored
    ::kill(pid_t(p.processId()), SIGTERM);
    QVERIFY(p.waitForFinished(30000));
    out += p.readAllStandardOutput();
    QCOMPARE(p.exitCode(), 128 + SIGKILL);
    const QJsonObject summary = summaryAfter(out, "ready\n");
    QCOMPARE(summary[u"signal"].toString(), QStringLiteral("SIGKILL"));
    QVERIFY(summary[u"results"][u"stopped_with"].toString().contains(QStringLiteral("SIGKILL")));
}

void TestTrace::theExamplesRunTracedAndShowTheirLesson_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("compiler");
    QTest::addColumn<QByteArray>("said");
    QTest::addColumn<QString>("lock");
    QTest::newRow("contended.c") << QStringLiteral("contended.c") << QStringLiteral("cc")
                                 << QByteArray("counter = 800 (expected 800), child exited with 3")
                                 << QStringLiteral("counter_lock");
    QTest::newRow("bank.cpp") << QStringLiteral("bank.cpp") << QStringLiteral("c++")
                              << QByteArray("total = 4000 (expected 4000)") << QString();
    QTest::newRow("annotated.c") << QStringLiteral("annotated.c") << QStringLiteral("cc") << QByteArray("40 frames")
                                 << QStringLiteral("frame_lock");
}

// The README's examples, built as it says and traced: each says its own result, and ThreadLab sees all of
// their threads and the locks they name.
void TestTrace::theExamplesRunTracedAndShowTheirLesson()
{
    QFETCH(QString, source);
    QFETCH(QString, compiler);
    QFETCH(QByteArray, said);
    QFETCH(QString, lock);
    const QString dir = QStringLiteral(THREADLAB_SOURCE_DIR "/resources/examples/");
    const QString exe = m_dir.filePath(source.section(u'.', 0, 0));
    QProcess cc;
    cc.start(compiler,
        { QStringLiteral("-O2"), QStringLiteral("-pthread"),
            QStringLiteral("-std=") + (compiler == u"cc" ? u"c11"_s : u"c++17"_s),
            QStringLiteral("-I" THREADLAB_SOURCE_DIR "/tracee/include"), dir + source, QStringLiteral("-o"), exe,
            QStringLiteral("-ldl") });
    QVERIFY(cc.waitForFinished(120000));
    QVERIFY2(cc.exitCode() == 0, cc.readAllStandardError().constData());
    const QString csv = m_dir.filePath(source + QStringLiteral(".csv"));
    const auto r = trace(
        { QStringLiteral("trace"), QStringLiteral("--csv"), csv, QStringLiteral("--json"), QStringLiteral("--"), exe });
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.startsWith(said), r.out.left(200).constData());
    const QJsonObject results = QJsonDocument::fromJson(r.out.mid(r.out.indexOf('{'))).object()[u"results"].toObject();
    QCOMPARE(results[u"threads_with_lock_detail"].toInt(), results[u"threads"].toInt());
    QVERIFY(results[u"locks"].toInt() >= 1);
    if (!lock.isEmpty())
        QVERIFY2(contents(csv).contains(",\"" + lock.toUtf8() + "\","), qPrintable(lock));
}

QTEST_GUILESS_MAIN(TestTrace)
#include "tst_trace.moc"
