#include "../support/cli.h"

#include <pools/httpget.h>
#include <pools/httpserver.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>
#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace tl::test;

// ThreadLab against a hostile neighbour (another local user) and a hostile environment (limits, closed or
// full descriptors, missing display): nothing written where the neighbour points, nothing denied by what they
// made first, and every fault a clear message with the documented exit code, leaving nothing behind.
class TestHostile : public QObject {
    Q_OBJECT
private slots:
    void anotherUsersLinkIsNeverFollowed_data();
    void anotherUsersLinkIsNeverFollowed();
    void ownLinkIsFollowedAndStaysALink();
    void linkChainIntoProcIsRefusedBeforeTheRun();
    void fileNameThatLooksLikeAnOptionIsRefused_data();
    void fileNameThatLooksLikeAnOptionIsRefused();
    void startupFaultsSayWhatIsWrong_data();
    void startupFaultsSayWhatIsWrong();
    void summaryThatCannotBeWrittenFailsTheCommand_data();
    void summaryThatCannotBeWrittenFailsTheCommand();
    void fileSizeLimitFailsTheOutputNotThenProcess();
    void tooFewDescriptorsFailCleanly();
    void tooLittleMemoryFailsCleanly_data();
    void tooLittleMemoryFailsCleanly();
    void squattedTemporaryDirectoryCostsNothing();
    void leftoversOfAnUnreapedRunAreRemoved();
    void serverSecretIsOnNoCommandLineAndInNoOutput();
    void strangersConnectionsAreClosedAtOnce();
    void terminalInterruptStopsChildrenCleanly();
    void everyRangeThatDescribeGivesHolds();
};

namespace {
constexpr uid_t kNeighbour = 65534; // nobody

// A link owned by the neighbour, as if they had made it; false (with the reason) when the kernel does not
// let this user give a file away, which takes root.
bool neighbourLink(const QString& target, const QString& link, QString* why)
{
    const QByteArray path = QFile::encodeName(link);
    if (::symlink(QFile::encodeName(target).constData(), path.constData()) != 0
        || ::lchown(path.constData(), kNeighbour, kNeighbour) != 0) {
        *why = QStringLiteral("cannot make a link of another user: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    return true;
}

bool isLink(const QString& path)
{
    struct stat st { };
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISLNK(st.st_mode);
}

// Whether a process still runs (a zombie has let go of everything it held).
bool isRunning(const QString& pid)
{
    const QByteArray stat = contents(QStringLiteral("/proc/%1/stat").arg(pid));
    return !stat.isEmpty() && !stat.contains(") Z ");
}

const QStringList kQuickRun { "run", "threads-vs-processes", "--set", "workers=1", "--set", "job_ms=0", "--set",
    "updates=10", "--set", "crash=false" };

void setLimit(int resource, rlim_t value)
{
    const rlimit limit { value, value };
    ::setrlimit(resource, &limit);
}
}

void TestHostile::anotherUsersLinkIsNeverFollowed_data()
{
    QTest::addColumn<QString>("option");
    QTest::addColumn<bool>("dangling");
    QTest::newRow("CSV over a file") << "--csv" << false;
    QTest::newRow("PNG over a file") << "--png" << false;
    QTest::newRow("spans CSV, dangling link") << "--spans-csv" << true;
    QTest::newRow("trace, dangling link") << "--trace" << true;
}

void TestHostile::anotherUsersLinkIsNeverFollowed()
{
    QFETCH(QString, option);
    QFETCH(bool, dangling);
    QTemporaryDir dir;
    const QString victim = dir.filePath(QStringLiteral("victim"));
    if (!dangling) {
        QFile f(victim);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("precious\n");
    }
    const QString link = dir.filePath(QStringLiteral("report"));
    QString why;
    if (!neighbourLink(victim, link, &why))
        QSKIP(qPrintable(why));

    const auto r = runThreadlab(kQuickRun + QStringList { option, link });
    QCOMPARE(r.code, 2); // refused before the run
    QVERIFY2(r.err.contains("is a link owned by another user (uid 65534)"), r.err.constData());
    QCOMPARE(QFileInfo::exists(victim), !dangling);
    if (!dangling)
        QCOMPARE(contents(victim), QByteArray("precious\n"));
    QVERIFY(isLink(link));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot).size(),
        dangling ? 1 : 2); // no temporary file left beside them
}

void TestHostile::ownLinkIsFollowedAndStaysALink()
{
    QTemporaryDir dir;
    const QString target = dir.filePath(QStringLiteral("slides/run.json"));
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("slides")));
    const QString link = dir.filePath(QStringLiteral("run.json"));
    QVERIFY(QFile::link(QStringLiteral("slides/run.json"), link)); // relative, as people make them
    const auto r = runThreadlab(kQuickRun + QStringList { "--trace", link });
    QCOMPARE(r.code, 0);
    QVERIFY(isLink(link));
    QJsonParseError error {};
    QJsonDocument::fromJson(contents(target), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
}

void TestHostile::linkChainIntoProcIsRefusedBeforeTheRun()
{
    QTemporaryDir dir;
    const QString l1 = dir.filePath(QStringLiteral("l1"));
    QVERIFY(QFile::link(dir.filePath(QStringLiteral("l2")), l1));
    QVERIFY(QFile::link(QStringLiteral("/proc/sys/kernel/hostname"), dir.filePath(QStringLiteral("l2"))));
    const QByteArray hostname = contents(QStringLiteral("/proc/sys/kernel/hostname"));
    // The 60 s run never starts.
    const auto r = runThreadlab({ "run", "threads", "--set", "sleep_ms=60000", "--csv", l1 });
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains("is in /proc, a kernel file system"), r.err.constData());
    QCOMPARE(contents(QStringLiteral("/proc/sys/kernel/hostname")), hostname);
}

void TestHostile::fileNameThatLooksLikeAnOptionIsRefused_data()
{
    QTest::addColumn<QString>("option");
    for (const char* o : { "--png", "--svg", "--pdf", "--trace", "--csv", "--chart", "--perfetto", "--spans-csv" })
        QTest::newRow(o) << QString::fromLatin1(o);
}

void TestHostile::fileNameThatLooksLikeAnOptionIsRefused()
{
    QFETCH(QString, option);
    QTemporaryDir dir;
    QProcess p;
    p.setWorkingDirectory(dir.path());
    p.setProcessEnvironment(headlessEnvironment());
    p.start(threadlabExe(), kQuickRun + QStringList { option, "--json" });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains((option + " needs a file name, not '--json'").toUtf8()));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
}

void TestHostile::startupFaultsSayWhatIsWrong_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("environment"); // added to the headless one
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::newRow("the window with no display") << QStringList {} << QStringList {} << 2 << "no display";
    QTest::newRow("a Qt option without its value")
        << QStringList { "-style" } << QStringList {} << 2 << "-style needs a value";
    QTest::newRow("a child started by hand")
        << QStringList { "--child" } << QStringList { "THREADLAB_PARENT_PID=" + QString::number(::getpid()) } << 1
        << "threadlab child";
    QTest::newRow("no child executable") << QStringList { "run", "child-processes", "--set", "start=spawn" }
                                         << QStringList { "THREADLAB_CHILD_EXE=/nonexistent" } << 1
                                         << "(/nonexistent): no such file";
}

void TestHostile::startupFaultsSayWhatIsWrong()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, environment);
    QFETCH(int, code);
    QFETCH(QString, message);
    QProcessEnvironment env = headlessEnvironment();
    for (const QString& assignment : environment)
        env.insert(assignment.section(u'=', 0, 0), assignment.section(u'=', 1));
    const auto r = runThreadlab(args, {}, env);
    QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    QCOMPARE(r.code, code); // not 134 (SIGABRT)
}

void TestHostile::summaryThatCannotBeWrittenFailsTheCommand_data()
{
    QTest::addColumn<QString>("stdio"); // what standard input and output are
    QTest::addColumn<QString>("message");
    QTest::newRow("full disk") << "/dev/full"
                               << "cannot write to standard output: No space left on device";
    QTest::newRow("stdout closed") << "closed"
                                   << "cannot write to standard output: it was closed";
    QTest::newRow("stdin and stdout closed") << "both closed"
                                             << "cannot write to standard output: it was closed";
}

void TestHostile::summaryThatCannotBeWrittenFailsTheCommand()
{
    QFETCH(QString, stdio);
    QFETCH(QString, message);
    QProcess p;
    p.setProcessEnvironment(headlessEnvironment());
    if (stdio == u"/dev/full")
        p.setStandardOutputFile(stdio);
    p.setChildProcessModifier([stdio] {
        if (stdio != u"/dev/full")
            ::close(STDOUT_FILENO);
        if (stdio == u"both closed")
            ::close(STDIN_FILENO);
    });
    p.start(threadlabExe(), kQuickRun + QStringList { "--json" });
    QVERIFY(p.waitForFinished(60000));
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(err.contains(message.toUtf8()), err.constData());
    QVERIFY2(!err.contains("interrupted"), err.constData()); // the stop pipe never took descriptor 0 or 1
    QCOMPARE(p.exitCode(), 1);
}

void TestHostile::fileSizeLimitFailsTheOutputNotThenProcess()
{
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("run.png"));
    // The run's own shared memory is in place when the image is written: it must still be removed.
    QProcess p;
    p.setProcessEnvironment(headlessEnvironment());
    p.setChildProcessModifier([] { setLimit(RLIMIT_FSIZE, 4096); }); // SIGXFSZ left at its default: death
    p.start(threadlabExe(), kQuickRun + QStringList { "--png", png });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("File too large"));
    QVERIFY(!QFileInfo::exists(png));
    QCOMPARE(QDir(dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    QCOMPARE(segmentsCreatedBy(p.processId()), 0);
    QCOMPARE(ledgersOf(p.processId()), QStringList());
}

void TestHostile::tooFewDescriptorsFailCleanly()
{
    QProcess p;
    p.setProcessEnvironment(headlessEnvironment());
    p.setChildProcessModifier([] { setLimit(RLIMIT_NOFILE, 16); });
    p.start(threadlabExe(), { "run", "manager", "--set", "children=4" });
    QVERIFY2(p.waitForFinished(120000), "hung with too few descriptors");
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitCode(), 1);
    QVERIFY2(err.contains("manager failed: ") && err.contains("Too many open files"), err.constData());
    QCOMPARE(segmentsCreatedBy(p.processId()), 0);
    QCOMPARE(ledgersOf(p.processId()), QStringList());
}

void TestHostile::tooLittleMemoryFailsCleanly_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("megabytes"); // the address-space limit
    QTest::newRow("race-counter") << QStringList { "run", "race-counter" } << 300;
    for (const int megabytes : { 400, 600, 800 })
        QTest::addRow("threads-vs-processes, %d MB", megabytes)
            << QStringList { "run", "threads-vs-processes", "--set", "workers=16" } << megabytes;
}

void TestHostile::tooLittleMemoryFailsCleanly()
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    QSKIP("a sanitizer's shadow memory needs terabytes of address space: no limit of this size can hold it");
#endif
    QFETCH(QStringList, args);
    QFETCH(int, megabytes);
    QProcess p;
    p.setProcessEnvironment(headlessEnvironment());
    p.setChildProcessModifier([megabytes] { setLimit(RLIMIT_AS, rlim_t(megabytes) << 20); });
    p.start(threadlabExe(), args);
    QVERIFY2(p.waitForFinished(120000), "hung out of memory");
    const QByteArray err = p.readAllStandardError();
    QCOMPARE(p.exitStatus(), QProcess::NormalExit); // not an abort
    QVERIFY2(p.exitCode() == 1 || p.exitCode() == 0, err.constData());
    if (p.exitCode() == 1)
        QVERIFY2(err.contains(" failed: "), err.constData());
    QCOMPARE(segmentsCreatedBy(p.processId()), 0);
    QCOMPARE(ledgersOf(p.processId()), QStringList());
}

void TestHostile::squattedTemporaryDirectoryCostsNothing()
{
    // The fixed name ThreadLab used before each process made its own: anyone could take it first. An earlier
    // ThreadLab's directory of that name is set aside meanwhile, and put back.
    const QString squatted = QStringLiteral("/tmp/threadlab-%1").arg(::geteuid());
    const QString setAside = squatted + QStringLiteral(".set-aside-by-test");
    const bool existed = QFileInfo(squatted).isDir() && !QFileInfo(squatted).isSymLink();
    if (existed)
        QVERIFY(QDir().rename(squatted, setAside));
    const auto restore = qScopeGuard([&] {
        QFile::remove(squatted);
        if (existed)
            QDir().rename(setAside, squatted);
    });
    QVERIFY2(!QFileInfo::exists(squatted), "something else is there");
    QVERIFY(QFile::link(QStringLiteral("/nonexistent"), squatted)); // a symlink where a directory was expected
    ::lchown(QFile::encodeName(squatted).constData(), kNeighbour, kNeighbour);
    QProcessEnvironment env = headlessEnvironment();
    env.remove(QStringLiteral("XDG_RUNTIME_DIR"));
    const auto r = runThreadlab({ "run", "shared-memory", "--set", "children=2", "--json" }, {}, env);
    QVERIFY2(r.code == 0, r.err.constData());
    QCOMPARE(QJsonDocument::fromJson(r.out)[u"status"].toString(), QStringLiteral("completed"));
    QVERIFY(QFileInfo(squatted).isSymLink()); // nothing written through it
}

void TestHostile::leftoversOfAnUnreapedRunAreRemoved()
{
    // Started without a reaper: once killed, the run stays a zombie until this test waits for it. Its ledger
    // goes in a runtime directory of the test's own: a ThreadLab started meanwhile by anything else on the
    // machine would clean up after it in the shared places, and do this test's "next start" for it.
    QTemporaryDir runtime;
    QProcessEnvironment privateRuntime = headlessEnvironment();
    privateRuntime.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
    const QStringList env = privateRuntime.toStringList();
    std::vector<QByteArray> storage;
    for (const QString& e : env)
        storage.push_back(e.toLocal8Bit());
    std::vector<char*> envp;
    for (auto& e : storage)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    const QByteArray exe = QFile::encodeName(threadlabExe());
    const char* argv[] = { exe.constData(), "run", "child-processes", "--set", "work_ms=600000", nullptr };
    pid_t pid = 0;
    QCOMPARE(::posix_spawn(&pid, exe.constData(), nullptr, nullptr, const_cast<char**>(argv), envp.data()), 0);
    QTRY_COMPARE_WITH_TIMEOUT(segmentsCreatedBy(pid), 3, 20000);
    QStringList children;
    QTRY_VERIFY_WITH_TIMEOUT((children = childrenOf(pid)).size() == 3, 20000);
    QCOMPARE(::kill(pid, SIGKILL), 0);
    QTRY_VERIFY_WITH_TIMEOUT(contents(QStringLiteral("/proc/%1/stat").arg(pid)).contains(") Z "), 10000);
    // Its children die with it (and detach from their segments) a moment later.
    for (const QString& child : children)
        QTRY_VERIFY_WITH_TIMEOUT(!isRunning(child), 10000);

    const auto next = runThreadlab({ "--list" }, {}, privateRuntime);
    QCOMPARE(next.code, 0);
    QVERIFY2(next.err.contains("left by a ThreadLab that was killed"), next.err.constData());
    QCOMPARE(segmentsCreatedBy(pid), 0);
    QCOMPARE(
        QDir(runtime.path() + QStringLiteral("/threadlab")).entryList({ QStringLiteral("*.keys") }), QStringList());
    int status = 0;
    QCOMPARE(::waitpid(pid, &status, 0), pid);
}

void TestHostile::serverSecretIsOnNoCommandLineAndInNoOutput()
{
    QProcess run;
    run.setProcessEnvironment(headlessEnvironment());
    run.start(threadlabExe(),
        { "run", "pools", "--set", "work=io", "--set", "executor=processes", "--set", "delay_ms=300", "--set",
            "tasks=8", "--set", "workers=2", "--json" });
    QVERIFY(run.waitForStarted());
    // Every command line of the run's processes while its workers are up (they start after the one-by-one
    // baseline): none names the server.
    int childrenSeen = 0;
    QStringList lines;
    while (!run.waitForFinished(50)) {
        for (const QString& child : childrenOf(run.processId())) {
            const QByteArray cmdline = contents(QStringLiteral("/proc/%1/cmdline").arg(child));
            if (cmdline.contains("pool-worker")) {
                ++childrenSeen;
                lines << QString::fromLocal8Bit(cmdline).replace(QChar(0), u' ');
            }
        }
    }
    QCOMPARE(run.exitCode(), 0);
    QVERIFY(childrenSeen > 0);
    for (const QString& line : lines)
        QVERIFY2(!line.contains(u"http") && !line.contains(u"127.0.0.1"), qPrintable(line));
    // The summary names the server but not its secret: 32 hex digits in the path.
    const QByteArray out = run.readAllStandardOutput();
    const QString url = QJsonDocument::fromJson(out)[u"results"][u"server"][u"url"].toString();
    QVERIFY2(url.startsWith(u"http://127.0.0.1:"), qPrintable(url));
    QVERIFY2(
        !QRegularExpression(QStringLiteral("[0-9a-f]{32}")).match(QString::fromUtf8(out)).hasMatch(), out.constData());
}

void TestHostile::strangersConnectionsAreClosedAtOnce()
{
    if (::geteuid() != 0)
        QSKIP("another user's connections need root to be made (setuid)");
    tl::LoopbackHttpServer server(std::chrono::milliseconds(0), 100);
    int ready[2];
    QCOMPARE(::pipe(ready), 0);
    const quint16 port = server.port();
    const pid_t neighbour = ::fork();
    if (neighbour == 0) {
        // The neighbour: as many idle connections as the server has room for, held open.
        if (::setgid(kNeighbour) != 0 || ::setuid(kNeighbour) != 0)
            ::_exit(1);
        // It must never outlive the test, nor keep the test runner's output open: a new uid drops the
        // parent-death signal, so it is asked for again, with a deadline of its own as well.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::alarm(120);
        const int null = ::open("/dev/null", O_RDWR);
        for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd)
            ::dup2(null, fd);
        for (int i = 0; i < tl::LoopbackHttpServer::kMaxConnections; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in to {};
            to.sin_family = AF_INET;
            to.sin_port = htons(port);
            to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
                ::_exit(2);
        }
        [[maybe_unused]] const auto n = ::write(ready[1], "x", 1);
        ::pause();
        ::_exit(0);
    }
    ::close(ready[1]);
    // However the test ends, the neighbour goes (a failed check returns early).
    const auto endNeighbour = qScopeGuard([neighbour] {
        ::kill(neighbour, SIGKILL);
        int status = 0;
        ::waitpid(neighbour, &status, 0);
    });
    char byte = 0;
    QCOMPARE(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);
    QTRY_COMPARE_WITH_TIMEOUT(server.strangersRefused(), qint64(tl::LoopbackHttpServer::kMaxConnections), 10000);
    // The run's own requests are served.
    for (int i = 0; i < 4; ++i)
        QCOMPARE(tl::httpGet(QUrl(server.url().toString() + QStringLiteral("page/%1").arg(i)), std::chrono::seconds(30),
                     [] { return false; })
                     .bytes,
            qint64(100));
    QCOMPARE(server.requestsServed(), qint64(4));
}

void TestHostile::terminalInterruptStopsChildrenCleanly()
{
    // Ctrl+C in a terminal signals the whole process group: ThreadLab and its children at once.
    QProcess run;
    run.setProcessEnvironment(headlessEnvironment());
    run.setChildProcessModifier([] { ::setpgid(0, 0); });
    run.start(threadlabExe(),
        { "run", "queue-pipe", "--set", "producers=2", "--set", "consumers=2", "--set", "items=100000", "--set",
            "produce_us=1000" });
    QVERIFY(run.waitForStarted());
    const qint64 pid = run.processId();
    QTRY_VERIFY_WITH_TIMEOUT(childrenOf(pid).size() > 4, 20000);
    QCOMPARE(::kill(-pid_t(pid), SIGINT), 0);
    QVERIFY(run.waitForFinished(60000));
    const QByteArray err = run.readAllStandardError();
    QCOMPARE(run.exitCode(), 130);
    QVERIFY2(err.contains("queue-pipe was interrupted by SIGINT") && !err.contains("failed"), err.constData());
    QCOMPARE(segmentsCreatedBy(pid), 0);
    QCOMPARE(ledgersOf(pid), QStringList());
}

void TestHostile::everyRangeThatDescribeGivesHolds()
{
    const auto list = runThreadlab({ "--list" });
    QCOMPARE(list.code, 0);
    int ranges = 0;
    for (const QByteArray& row : list.out.split('\n')) {
        const QString scenario = QString::fromUtf8(row.simplified().split(' ').value(0));
        if (scenario.isEmpty())
            continue;
        const auto described = runThreadlab({ "describe", scenario });
        QCOMPARE(described.code, 0);
        // "  workers   integer  default 4   valid 1..64": both ends are accepted, one past either is refused,
        // naming the parameter and the range (an unknown option after them stops the run before it starts).
        static const QRegularExpression integer(
            QStringLiteral("^  (\\S+) +integer .* valid (-?\\d+)\\.\\.(-?\\d+)"), QRegularExpression::MultilineOption);
        QStringList bothEnds { "run", scenario };
        for (auto m = integer.globalMatch(QString::fromUtf8(described.out)); m.hasNext();) {
            const auto match = m.next();
            const QString name = match.captured(1);
            const qint64 low = match.captured(2).toLongLong();
            const qint64 high = match.captured(3).toLongLong();
            bothEnds << "--set" << QStringLiteral("%1=%2").arg(name).arg(low) << "--set"
                     << QStringLiteral("%1=%2").arg(name).arg(high);
            for (const qint64 past : { low - 1, high + 1 }) {
                const auto r = runThreadlab({ "run", scenario, "--set", QStringLiteral("%1=%2").arg(name).arg(past) });
                QCOMPARE(r.code, 2);
                QVERIFY2(r.err.contains(
                             QStringLiteral("%1: expected an integer in %2..%3").arg(name).arg(low).arg(high).toUtf8()),
                    r.err.constData());
            }
            ++ranges;
        }
        const auto r = runThreadlab(bothEnds << "--no-such-option");
        QVERIFY2(r.code == 2 && r.err.contains("unknown option '--no-such-option'"), r.err.constData());
    }
    QVERIFY(ranges > 40); // every scenario's, not a parse that found none
}

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
