#include "../support/runscenario.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

using namespace tl;

namespace {
const QString kQtApi = QStringLiteral("QSharedMemory+QSystemSemaphore");
const QString kPrivateApi = QStringLiteral("System V private");

// Where Qt 6.4 keeps the key file of a System V QSharedMemory or QSystemSemaphore named `key`, after
// QSharedMemoryPrivate::makePlatformSafeKey(): the temporary directory, a prefix, the key's letters and the
// SHA-1 of the key in hex. Written from Qt's source, not from ThreadLab's.
QString qtKeyFile(const char* prefix, const QString& key)
{
    QString letters = key;
    letters.remove(QRegularExpression(QStringLiteral("[^A-Za-z]")));
    return QDir::tempPath() + u'/' + QLatin1String(prefix) + letters
        + QString::fromLatin1(QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha1).toHex());
}

// A run's keys fixed through THREADLAB_IPC_KEY (the seam qtipc.h documents): its segment is
// "tl-<random>-data", its lock "tl-<random>-lock". Unique to this process and test.
struct FixedKey {
    QString random;
    explicit FixedKey(const char* tag)
        : random(QStringLiteral("t%1%2").arg(getpid()).arg(QLatin1String(tag)))
    {
        qputenv("THREADLAB_IPC_KEY", random.toUtf8());
    }
    ~FixedKey() { qunsetenv("THREADLAB_IPC_KEY"); }
    FixedKey(const FixedKey&) = delete;
    FixedKey& operator=(const FixedKey&) = delete;
    QString segmentFile() const { return qtKeyFile("qipc_sharedmemory_", QStringLiteral("tl-%1-data").arg(random)); }
    QString semaphoreFile() const { return qtKeyFile("qipc_systemsem_", QStringLiteral("tl-%1-lock").arg(random)); }
};

key_t ftokOf(const QString& file)
{
    return ftok(QFile::encodeName(file).constData(), 'Q');
}

// Makes `file` (a plain file, 0600), as one who knew the run's key would, and returns its ftok key (-1: it
// could not be made).
key_t plantKeyFile(const QString& file)
{
    const int fd = ::open(QFile::encodeName(file).constData(), O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd < 0)
        return -1;
    ::close(fd);
    return ftokOf(file);
}

// Whether the refusal names the key and nothing was counted.
bool refusedNaming(const RunOutcome& outcome, key_t key)
{
    return outcome.status == RunOutcome::Status::Failed && outcome.error.contains(u"refusing")
        && outcome.error.contains(QStringLiteral("0x%1").arg(uint(key), 8, 16, QLatin1Char('0')))
        && !outcome.results.contains(u"value");
}

// The keys and ids `ipcs -m` (segments) or `ipcs -s` (semaphores) lists now.
struct IpcsRow {
    key_t key = 0;
    int id = -1;
    unsigned mode = 0;
};
QList<IpcsRow> ipcs(const char* kind)
{
    QProcess p;
    p.start(QStringLiteral("ipcs"), { QLatin1String(kind) });
    p.waitForFinished();
    QList<IpcsRow> rows;
    for (const QByteArray& line : p.readAllStandardOutput().split('\n')) {
        const QList<QByteArray> f = line.simplified().split(' ');
        if (f.size() >= 4 && f[0].startsWith("0x"))
            rows.append({ key_t(f[0].mid(2).toUInt(nullptr, 16)), f[1].toInt(), f[3].toUInt(nullptr, 8) });
    }
    return rows;
}
bool ipcsListsKey(const char* kind, key_t key)
{
    const QList<IpcsRow> rows = ipcs(kind);
    return std::any_of(rows.begin(), rows.end(), [&](const IpcsRow& r) { return r.key == key; });
}
bool ipcsListsId(const char* kind, int id)
{
    const QList<IpcsRow> rows = ipcs(kind);
    return std::any_of(rows.begin(), rows.end(), [&](const IpcsRow& r) { return r.id == id; });
}

// `threadlab run shared-memory --json` with these settings, to its end; its JSON.
QJsonObject runCli(const QStringList& sets)
{
    QStringList args { QStringLiteral("run"), QStringLiteral("shared-memory"), QStringLiteral("--json") };
    for (const QString& s : sets)
        args << QStringLiteral("--set") << s;
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(qEnvironmentVariable("THREADLAB_CHILD_EXE"), args);
    p.waitForFinished(300000);
    return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
}

// A ThreadLab run in its own process, long enough to look at; its ledger's entries once it lists everything.
// Its ledger goes in a runtime directory of the test's own: any ThreadLab that starts meanwhile (another
// suite's, maybe an older build) would otherwise clean up after it first, and do this test's "next start".
struct LongRun {
    QTemporaryDir runtime;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    QProcess process;
    QString ledger;
    QStringList entries;
    explicit LongRun(const QString& ipc)
    {
        environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
        process.setProcessEnvironment(environment);
        process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process.start(qEnvironmentVariable("THREADLAB_CHILD_EXE"),
            { QStringLiteral("run"), QStringLiteral("shared-memory"), QStringLiteral("--set"),
                QStringLiteral("children=2"), QStringLiteral("--set"), QStringLiteral("repeats=100000000"),
                QStringLiteral("--set"), QStringLiteral("ipc=") + ipc });
    }
    // Both children's event segments and the data segment, the lock, and with Qt the two key files.
    bool listsEverything(int keyFiles)
    {
        const QDir dir(runtime.path() + QStringLiteral("/threadlab"));
        for (const QString& name :
            dir.entryList({ QStringLiteral("%1-*.keys").arg(process.processId()) }, QDir::Files)) {
            QFile file(dir.filePath(name));
            if (file.open(QIODevice::ReadOnly)) {
                ledger = file.fileName();
                entries = QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts);
            }
        }
        auto count = [&](const char* tag) {
            return entries.filter(QRegularExpression(QStringLiteral("^%1 ").arg(QLatin1String(tag)))).size();
        };
        return count("shm") == 3 && count("sem") == 1 && count("file") == keyFiles;
    }
    ~LongRun()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished();
        }
    }
    LongRun(const LongRun&) = delete;
    LongRun& operator=(const LongRun&) = delete;
};

}

// shared-memory's default objects are Qt's QSharedMemory and QSystemSemaphore, hardened: the kernel shows
// them under the ftok keys Qt derives, a key another process holds is refused (never adopted, never
// counted with), the seed's figures come out with either API, and nothing outlives a stopped or killed run.
class TestQtSharedMemory : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void defaultRunUsesQtObjectsByTheirFtokKeys();
    void seedsFiguresAtTheDefaults_data();
    void seedsFiguresAtTheDefaults();
    void accountNamesWhatTheRunUsed_data();
    void accountNamesWhatTheRunUsed();
    void squattedSemaphoreIsRefused();
    void squattedSegmentIsRefused();
    void onlyTheLockKeepsEveryUpdate_data();
    void onlyTheLockKeepsEveryUpdate();
    void stoppedOrKilledRunLeavesNothing_data();
    void stoppedOrKilledRunLeavesNothing();
};

void TestQtSharedMemory::initTestCase()
{
    QVERIFY2(QFile::exists(qEnvironmentVariable("THREADLAB_CHILD_EXE")), "THREADLAB_CHILD_EXE must name threadlab");
}

void TestQtSharedMemory::defaultRunUsesQtObjectsByTheirFtokKeys()
{
    const FixedKey key("a");
    LongRun run(QStringLiteral("qt"));
    QVERIFY(run.process.waitForStarted());
    // Qt's key files appear, and the kernel lists a segment and a semaphore under their ftok keys.
    key_t segmentKey = -1;
    key_t semaphoreKey = -1;
    QVERIFY2(QTest::qWaitFor(
                 [&] {
                     segmentKey = ftokOf(key.segmentFile());
                     semaphoreKey = ftokOf(key.semaphoreFile());
                     return segmentKey != -1 && semaphoreKey != -1 && ipcsListsKey("-m", segmentKey)
                         && ipcsListsKey("-s", semaphoreKey);
                 },
                 120000),
        qPrintable(key.segmentFile()));
    // Made by the run itself, by that key (not IPC_PRIVATE), this user's alone.
    const int segment = shmget(segmentKey, 0, 0);
    shmid_ds ds {};
    QCOMPARE(shmctl(segment, IPC_STAT, &ds), 0);
    QCOMPARE(qint64(ds.shm_cpid), run.process.processId());
    QCOMPARE(ds.shm_perm.__key, segmentKey);
    QCOMPARE(ds.shm_perm.mode & 0777, 0600u);
    QCOMPARE(ds.shm_perm.cuid, geteuid());
    semid_ds sds {};
    QCOMPARE(semctl(semget(semaphoreKey, 0, 0), 0, IPC_STAT, &sds), 0);
    QCOMPARE(sds.sem_perm.mode & 0777, 0600u);
    QCOMPARE(sds.sem_perm.cuid, geteuid());

    // Stopped (SIGTERM), it removes both objects and both key files.
    ::kill(pid_t(run.process.processId()), SIGTERM);
    QVERIFY(run.process.waitForFinished(120000));
    QVERIFY(!ipcsListsKey("-m", segmentKey));
    QVERIFY(!ipcsListsKey("-s", semaphoreKey));
    QVERIFY(!QFile::exists(key.segmentFile()));
    QVERIFY(!QFile::exists(key.semaphoreFile()));
}

void TestQtSharedMemory::seedsFiguresAtTheDefaults_data()
{
    QTest::addColumn<QStringList>("sets");
    QTest::addColumn<QString>("api");
    QTest::newRow("defaults") << QStringList() << kQtApi;
    QTest::newRow("ipc=private") << QStringList { QStringLiteral("ipc=private") } << kPrivateApi;
}

void TestQtSharedMemory::seedsFiguresAtTheDefaults()
{
    QFETCH(QStringList, sets);
    QFETCH(QString, api);
    const QJsonObject json = runCli(sets);
    QCOMPARE(json[u"status"].toString(), QStringLiteral("completed"));
    const QJsonObject results = json[u"results"].toObject();
    QCOMPARE(results[u"api"].toString(), api);
    // The seed prints "Shared number: 100" and "Shared array: [2, 4, 6, 8]".
    QCOMPARE(results[u"value"].toInteger(), 100);
    QCOMPARE(results[u"array"].toArray(), (QJsonArray { 2, 4, 6, 8 }));
}

void TestQtSharedMemory::accountNamesWhatTheRunUsed_data()
{
    QTest::addColumn<QString>("ipc");
    QTest::addColumn<QString>("used");
    QTest::addColumn<QString>("unused");
    QTest::newRow("qt") << "qt"
                        << "QSystemSemaphore"
                        << "System V semaphore";
    QTest::newRow("private") << "private"
                             << "System V semaphore"
                             << "QSystemSemaphore";
}

void TestQtSharedMemory::accountNamesWhatTheRunUsed()
{
    QFETCH(QString, ipc);
    QFETCH(QString, used);
    QFETCH(QString, unused);
    const RunOutcome outcome = test::runScenario(QStringLiteral("shared-memory"),
        { QStringLiteral("children=2"), QStringLiteral("repeats=100"), QStringLiteral("ipc=") + ipc });
    const QString account = createScenario(QStringLiteral("shared-memory"))->describeOutcome(summaryJson(outcome));
    const bool qt = ipc == u"qt";
    // The segment and the lock the account names are the ones the run made; the timeline's lock too.
    QVERIFY2(
        account.contains(qt ? QStringLiteral("QSharedMemory segment") : QStringLiteral("private System V segment")),
        qPrintable(account));
    QVERIFY2(account.contains(qt ? QStringLiteral("inside the QSystemSemaphore")
                                 : QStringLiteral("inside the private System V semaphore")),
        qPrintable(account));
    QVERIFY2(!account.contains(qt ? QStringLiteral("System V semaphore") : QStringLiteral("QS")), qPrintable(account));
    QStringList locks;
    for (const QString& lock : outcome.trace->lockNames)
        locks << lock;
    QVERIFY2(locks.contains(used) && !locks.contains(unused), qPrintable(locks.join(u", ")));
}

void TestQtSharedMemory::squattedSemaphoreIsRefused()
{
    const FixedKey key("s");
    // A neighbour made a semaphore on the lock's ftok key first, open to all, at 5: a lock that would let five
    // processes in at once. (The data segment's key file is made here too, so its key is known; a plain file
    // of ours, the run uses it as Qt does.)
    const key_t segmentKey = plantKeyFile(key.segmentFile());
    const key_t squatted = plantKeyFile(key.semaphoreFile());
    QVERIFY(segmentKey != -1 && squatted != -1);
    const int squatter = semget(squatted, 1, IPC_CREAT | IPC_EXCL | 0666);
    QVERIFY(squatter >= 0);
    QCOMPARE(semctl(squatter, 0, SETVAL, 5), 0);

    const RunOutcome outcome = test::runScenario(QStringLiteral("shared-memory"),
        { QStringLiteral("children=2"), QStringLiteral("repeats=1000"), QStringLiteral("add=1") });
    const int value = semctl(squatter, 0, GETVAL);
    semctl(squatter, 0, IPC_RMID);
    QFile::remove(key.semaphoreFile());
    QFile::remove(key.segmentFile());

    QVERIFY2(refusedNaming(outcome, squatted), qPrintable(outcome.error));
    QCOMPARE(value, 5); // never adopted: Qt's Create would have set it to 1
    // The data segment, made before the lock was refused, is gone.
    QVERIFY(shmget(segmentKey, 0, 0) == -1 && errno == ENOENT);
}

void TestQtSharedMemory::squattedSegmentIsRefused()
{
    const FixedKey key("g");
    // A neighbour made a segment on the data segment's ftok key first, open to all.
    const key_t squatted = plantKeyFile(key.segmentFile());
    QVERIFY(squatted != -1);
    const int squatter = shmget(squatted, 4096, IPC_CREAT | IPC_EXCL | 0666);
    QVERIFY(squatter >= 0);

    const RunOutcome outcome = test::runScenario(QStringLiteral("shared-memory"), {});
    shmid_ds ds {};
    const int stat = shmctl(squatter, IPC_STAT, &ds);
    shmctl(squatter, IPC_RMID, nullptr);
    QFile::remove(key.segmentFile());

    QVERIFY2(refusedNaming(outcome, squatted), qPrintable(outcome.error));
    QCOMPARE(stat, 0);
    QCOMPARE(ds.shm_lpid, 0); // never attached
    QVERIFY(!QFile::exists(key.semaphoreFile())); // the lock was never made
}

void TestQtSharedMemory::onlyTheLockKeepsEveryUpdate_data()
{
    QTest::addColumn<QString>("ipc");
    QTest::addColumn<QString>("lock");
    QTest::addColumn<qint64>("repeats");
    for (const QString& ipc : { QStringLiteral("qt"), QStringLiteral("private") }) {
        QTest::addRow("%s, no lock", qPrintable(ipc)) << ipc << QStringLiteral("none") << qint64(1000000);
        QTest::addRow("%s, semaphore", qPrintable(ipc)) << ipc << QStringLiteral("semaphore") << qint64(5000);
    }
}

void TestQtSharedMemory::onlyTheLockKeepsEveryUpdate()
{
    QFETCH(QString, ipc);
    QFETCH(QString, lock);
    QFETCH(qint64, repeats);
    const qint64 children = 4;
    const qint64 add = 3;
    const RunOutcome outcome = test::runScenario(QStringLiteral("shared-memory"),
        { QStringLiteral("children=%1").arg(children), QStringLiteral("repeats=%1").arg(repeats),
            QStringLiteral("add=%1").arg(add), QStringLiteral("lock=") + lock, QStringLiteral("ipc=") + ipc });
    QCOMPARE(outcome.status, RunOutcome::Status::Completed);
    QCOMPARE(outcome.results[u"api"].toString(), ipc == u"qt" ? kQtApi : kPrivateApi);
    const qint64 value = outcome.results[u"value"].toInteger();
    const qint64 everyUpdate = children * repeats * add;
    if (lock == u"none") {
        // Released together from the start barrier, four unprotected children overwrite each other.
        QVERIFY2(value < everyUpdate, qPrintable(QStringLiteral("%1 of %2").arg(value).arg(everyUpdate)));
        QCOMPARE(outcome.results[u"lost_updates"].toInteger(), (everyUpdate - value) / add);
    } else {
        QCOMPARE(value, everyUpdate);
        QCOMPARE(outcome.results[u"array"].toArray(), (QJsonArray { 1 << 4, 2 << 4, 3 << 4, 4 << 4 }));
    }
}

void TestQtSharedMemory::stoppedOrKilledRunLeavesNothing_data()
{
    QTest::addColumn<QString>("ipc");
    QTest::addColumn<int>("signal");
    for (const QString& ipc : { QStringLiteral("qt"), QStringLiteral("private") }) {
        QTest::addRow("%s, SIGTERM", qPrintable(ipc)) << ipc << SIGTERM;
        QTest::addRow("%s, SIGKILL", qPrintable(ipc)) << ipc << SIGKILL;
    }
}

void TestQtSharedMemory::stoppedOrKilledRunLeavesNothing()
{
    QFETCH(QString, ipc);
    QFETCH(int, signal);
    LongRun run(ipc);
    QVERIFY(run.process.waitForStarted());
    const int keyFiles = ipc == u"qt" ? 2 : 0;
    QVERIFY2(
        QTest::qWaitFor([&] { return run.listsEverything(keyFiles); }, 120000), qPrintable(run.entries.join(u'|')));
    // ipcs lists every object the ledger names; the key files exist.
    for (const QString& entry : run.entries) {
        const QStringList f = entry.split(u' ');
        if (f[0] == u"file")
            QVERIFY2(QFile::exists(entry.section(u' ', 1)), qPrintable(entry));
        else
            QVERIFY2(ipcsListsId(f[0] == u"shm" ? "-m" : "-s", f[1].toInt()), qPrintable(entry));
    }
    ::kill(pid_t(run.process.processId()), signal);
    QVERIFY(run.process.waitForFinished(120000));
    if (signal == SIGKILL) {
        // Nothing could run in it: the next ThreadLab to start removes what its ledger lists.
        QProcess next;
        next.setProcessEnvironment(run.environment);
        next.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        next.start(qEnvironmentVariable("THREADLAB_CHILD_EXE"), { QStringLiteral("--version") });
        QVERIFY(next.waitForFinished(60000));
    }
    // A killed run's children die with it (PR_SET_PDEATHSIG), each a moment later: a removed segment stays
    // listed until the last of them has let go of it.
    for (const QString& entry : run.entries) {
        const QStringList f = entry.split(u' ');
        if (f[0] == u"file")
            QVERIFY2(!QFile::exists(entry.section(u' ', 1)), qPrintable(entry));
        else
            QVERIFY2(QTest::qWaitFor([&] { return !ipcsListsId(f[0] == u"shm" ? "-m" : "-s", f[1].toInt()); }, 60000),
                qPrintable(entry));
    }
    QVERIFY(!QFile::exists(run.ledger));
}

QTEST_GUILESS_MAIN(TestQtSharedMemory)
#include "tst_qtsharedmemory.moc"
