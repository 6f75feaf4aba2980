// libthreadlab-tracee.so on real programs: small C programs compiled here with the system's cc, run with the
// library preloaded into an arena this test formats itself, then read back directly (slots, lock entries,
// each slot's Recorder drained) — an oracle independent of ThreadLab's launcher and collector.
#include "../support/tracearena.h"

#include <abi/arena.h>
#include <trace/clock.h>
#include <trace/event.h>
#include <trace/recorder.h>

#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

using namespace tl;

namespace {

using tl::test::Arena;
using tl::test::Ran;
using tl::test::runProgram;

// How each lane's LockWaits end: the next event of the lane must be the LockAcquired of the same lock (a
// lock() that waits always gets the lock). Returns the number of waits, -1 on the first one that does not.
int waitsFollowedByAcquire(const std::vector<Arena::Lane>& lanes, QString* why)
{
    int waits = 0;
    for (const auto& lane : lanes)
        for (std::size_t i = 0; i < lane.events.size(); ++i) {
            if (lane.events[i].kind != EventKind::LockWait)
                continue;
            ++waits;
            if (i + 1 >= lane.events.size() || lane.events[i + 1].kind != EventKind::LockAcquired
                || lane.events[i + 1].lock != lane.events[i].lock) {
                *why = QStringLiteral("lane %1 (%2): LockWait(%3) at %4 is followed by %5")
                           .arg(lane.index)
                           .arg(lane.name)
                           .arg(lane.events[i].lock)
                           .arg(i)
                           .arg(i + 1 < lane.events.size()
                                   ? QString::fromLatin1(eventKindName(lane.events[i + 1].kind).data())
                                   : QStringLiteral("nothing"));
                return -1;
            }
        }
    return waits;
}

int countEvents(const Arena::Lane& lane, EventKind kind, std::uint16_t lock)
{
    return int(std::count_if(
        lane.events.begin(), lane.events.end(), [&](const Event& e) { return e.kind == kind && e.lock == lock; }));
}

const char* const kContend = R"(
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 3000
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long taken[THREADS];
static volatile int sink;
static pthread_barrier_t start; // all four begin together, so that they contend

static void* worker(void* arg)
{
    long me = (long)arg;
    if (me < 2) { // the others are named by main
        char name[16];
        snprintf(name, sizeof name, "worker-%ld", me);
        pthread_setname_np(pthread_self(), name);
    }
    pthread_barrier_wait(&start);
    for (int r = 0; r < ROUNDS; ++r) {
        pthread_mutex_lock(&counter_lock);
        ++counter;
        ++taken[me];
        for (int k = 0; k < 200; ++k)
            sink = k;
        if (r % 100 == 0) { // now and then a long hold, so that the others wait even on a busy machine
            struct timespec pause = { 0, 1000000 };
            nanosleep(&pause, NULL);
        }
        pthread_mutex_unlock(&counter_lock);
    }
    return NULL;
}

int main(void)
{
    sem_t* go = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(go, 1, 0);
    pthread_barrier_init(&start, NULL, THREADS);
    pthread_t threads[THREADS];
    for (long i = 0; i < THREADS; ++i)
        pthread_create(&threads[i], NULL, worker, (void*)i);
    for (long i = 2; i < THREADS; ++i) {
        char name[16];
        snprintf(name, sizeof name, "worker-%ld", i);
        pthread_setname_np(threads[i], name);
    }
    pid_t child = fork();
    if (child == 0) {
        sem_wait(go);
        _exit(42);
    }
    usleep(50000);
    sem_post(go);
    int status = 0;
    waitpid(child, &status, 0);
    long total = 0;
    for (int i = 0; i < THREADS; ++i) {
        pthread_join(threads[i], NULL);
        total += taken[i];
    }
    printf("acquisitions %ld\ncounter %ld\nchild %d exited %d\n", total, counter, (int)child, WEXITSTATUS(status));
    return 0;
}
)";

const char* const kTarget = R"(
#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t target_lock = PTHREAD_MUTEX_INITIALIZER;
int main(int argc, char** argv)
{
    pthread_mutex_lock(&target_lock);
    pthread_mutex_unlock(&target_lock);
    printf("target %s\n", argc > 1 ? argv[1] : "");
    return 0;
}
)";

const char* const kExecer = R"(
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t closefds_lock = PTHREAD_MUTEX_INITIALIZER;

int main(int argc, char** argv)
{
    if (argc < 3)
        return 2;
    const char* mode = argv[1];
    char* args[] = { argv[2], argv[1], NULL };
    char* bare[] = { "PATH=/usr/bin:/bin", "TL_TEST=1", NULL };
    fflush(stdout);
    if (!strcmp(mode, "execve")) {
        execve(argv[2], args, bare);
        return 99;
    }
    if (!strcmp(mode, "execle")) {
        execle(argv[2], argv[2], argv[1], (char*)NULL, bare);
        return 94;
    }
    if (!strcmp(mode, "spawn") || !strcmp(mode, "vfork")) {
        pid_t pid = -1;
        if (!strcmp(mode, "spawn")) {
            if (posix_spawn(&pid, argv[2], NULL, NULL, args, bare) != 0)
                return 98;
        } else {
            unsetenv("LD_PRELOAD");
            pid = vfork();
            if (pid == 0) {
                execv(argv[2], args);
                _exit(97);
            }
        }
        int status = 0;
        waitpid(pid, &status, 0);
        printf("spawned %d\n", (int)pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 96;
    }
    if (!strcmp(mode, "clearenv")) {
        clearenv();
        execv(argv[2], args);
        return 95;
    }
    if (!strcmp(mode, "closefds")) {
        close_range(0, ~0U, 0);
        pthread_mutex_lock(&closefds_lock);
        struct timespec pause = { 0, 1000000 };
        nanosleep(&pause, NULL);
        pthread_mutex_unlock(&closefds_lock);
        return 5;
    }
    return 3;
}
)";

const char* const kCond = R"(
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int ready;
static void* signaller(void* unused)
{
    (void)unused;
    usleep(50000);
    pthread_mutex_lock(&ready_lock);
    ready = 1;
    pthread_cond_signal(&ready_cond);
    pthread_mutex_unlock(&ready_lock);
    return NULL;
}
int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, signaller, NULL);
    pthread_mutex_lock(&ready_lock);
    while (!ready)
        pthread_cond_wait(&ready_cond, &ready_lock);
    pthread_mutex_unlock(&ready_lock);
    pthread_join(t, NULL);
    puts("woken");
    return 0;
}
)";

const char* const kTimed = R"(
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static void* holder(void* unused)
{
    (void)unused;
    pthread_mutex_lock(&held_lock);
    usleep(200000);
    pthread_mutex_unlock(&held_lock);
    return NULL;
}
int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    usleep(50000);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_nsec += 10000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000;
    }
    int rc = pthread_mutex_timedlock(&held_lock, &deadline);
    pthread_join(t, NULL);
    pthread_rwlock_rdlock(&table_lock);
    pthread_rwlock_unlock(&table_lock);
    pthread_rwlock_wrlock(&table_lock);
    pthread_rwlock_unlock(&table_lock);
    printf("timedlock %s\n", rc == ETIMEDOUT ? "timed out" : "got it");
    return 0;
}
)";

const char* const kAnnotated = R"(
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <threadlab/annotate.h>
int main(void)
{
    pthread_mutex_t* queue = malloc(sizeof *queue);
    pthread_mutex_init(queue, NULL);
    threadlab_name_lock(queue, "queue lock");
    threadlab_zone_begin("phase one");
    pthread_mutex_lock(queue);
    threadlab_mark(42);
    pthread_mutex_unlock(queue);
    threadlab_counter("items", 7);
    threadlab_zone_end();
    puts("annotated");
    return 0;
}
)";

const char* const kExits = R"(
#include <stdio.h>
int main(void)
{
    puts("static");
    return 3;
}
)";

} // namespace

class TestTracee : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_cc;

    // Compiles `source` into an executable called `name` in the test's directory; empty on failure.
    QString compile(const QString& name, const char* source, const QStringList& extra = {})
    {
        const QString c = m_dir.filePath(name + QStringLiteral(".c"));
        QFile file(c);
        if (!file.open(QIODevice::WriteOnly))
            return {};
        file.write(source);
        file.close();
        const QString exe = m_dir.filePath(name);
        QProcess cc;
        cc.setProcessChannelMode(QProcess::MergedChannels);
        cc.start(m_cc,
            QStringList { QStringLiteral("-O1"), QStringLiteral("-g"), QStringLiteral("-pthread"),
                QStringLiteral("-I" THREADLAB_TRACEE_INCLUDE), QStringLiteral("-o"), exe, c }
                + extra);
        if (!cc.waitForFinished(120000) || cc.exitCode() != 0) {
            qWarning().noquote() << "cc failed for" << name << cc.readAll();
            return {};
        }
        return exe;
    }

    // Runs `program` with the library preloaded (unless `preload` is false) and the arena named (if any).
    static Ran run(const QString& program, const QStringList& args, const Arena* arena, bool preload = true,
        const QString& arenaName = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("LD_PRELOAD"));
        env.remove(QStringLiteral("THREADLAB_ARENA"));
        if (preload)
            env.insert(QStringLiteral("LD_PRELOAD"), QStringLiteral(THREADLAB_TRACEE_LIBRARY));
        if (arena)
            env.insert(QStringLiteral("THREADLAB_ARENA"), arena->name());
        else if (!arenaName.isEmpty())
            env.insert(QStringLiteral("THREADLAB_ARENA"), arenaName);
        return runProgram(program, args, env);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_cc = QStandardPaths::findExecutable(QStringLiteral("cc"));
        if (m_cc.isEmpty())
            QSKIP("no C compiler (cc) to build the traced programs with");
        QVERIFY2(QFile::exists(QStringLiteral(THREADLAB_TRACEE_LIBRARY)), THREADLAB_TRACEE_LIBRARY);
    }

    // Four named threads (two by themselves, two by main) contend on one static mutex while the main thread forks a
    // child that waits on a process-shared semaphore: every thread and the child get a lane, every acquisition the
    // program counts is recorded on the mutex's entry, named after its symbol, and the program's output is untouched.
    void threadsLocksAndFork()
    {
        const QString exe = compile(QStringLiteral("contend"), kContend);
        QVERIFY(!exe.isEmpty());
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(exe, {}, &arena);
        QVERIFY2(ran.finished, ran.err.constData());
        QCOMPARE(ran.exitCode, 0);
        const QRegularExpression expected(
            QStringLiteral("^acquisitions (\\d+)\ncounter 12000\nchild (\\d+) exited 42\n$"));
        const auto match = expected.match(QString::fromLocal8Bit(ran.out));
        QVERIFY2(match.hasMatch(), ran.out.constData());
        const int acquisitions = match.captured(1).toInt();
        const int childPid = match.captured(2).toInt();
        QCOMPARE(acquisitions, 12000);

        const auto lanes = arena.lanes();
        std::multiset<QString> parentNames;
        const Arena::Lane* childLane = nullptr;
        for (const auto& lane : lanes) {
            if (lane.pid == ran.pid)
                parentNames.insert(lane.name);
            else if (lane.pid == childPid)
                childLane = &lane;
        }
        QCOMPARE(int(parentNames.size()), 5);
        for (int i = 0; i < 4; ++i)
            QVERIFY2(parentNames.count(QStringLiteral("worker-%1").arg(i)) == 1, qPrintable(QString::number(i)));
        QVERIFY(parentNames.count(QStringLiteral("contend")) == 1);
        QVERIFY(childLane);
        QCOMPARE(qint64(childLane->ppid), ran.pid);
        QCOMPARE(childLane->tid, childPid);
        QVERIFY(!childLane->events.empty());
        QCOMPARE(childLane->events.front().kind, EventKind::Started);

        // The child waited for the semaphore its parent posted: a sleep on the semaphore's entry, not a hold.
        const auto sleeping = std::find_if(childLane->events.begin(), childLane->events.end(),
            [](const Event& e) { return e.kind == EventKind::Sleeping; });
        QVERIFY(sleeping != childLane->events.end());
        QVERIFY(sleeping->lock != 0);
        QCOMPARE(arena.lock(sleeping->lock).kind, abi::ObjectKind::Semaphore);
        QCOMPARE(countEvents(*childLane, EventKind::LockAcquired, sleeping->lock), 0);

        const std::uint16_t mutex = arena.lockNamed(QStringLiteral("counter_lock"));
        QVERIFY2(mutex != 0, "no lock entry named after the static mutex");
        QCOMPARE(arena.lock(mutex).kind, abi::ObjectKind::Mutex);
        QCOMPARE(qint64(arena.lock(mutex).pid), ran.pid);
        int acquired = 0;
        int released = 0;
        for (const auto& lane : lanes) {
            acquired += countEvents(lane, EventKind::LockAcquired, mutex);
            released += countEvents(lane, EventKind::LockReleased, mutex);
        }
        QCOMPARE(acquired, acquisitions);
        QCOMPARE(released, acquisitions);
        QString why;
        const int waits = waitsFollowedByAcquire(lanes, &why);
        QVERIFY2(waits >= 0, qPrintable(why));
        QVERIFY2(waits > 0, "four threads on one mutex never waited: the contended path went untested");
        QCOMPARE(arena.view().header().threadsWithoutSlot.load(), 0u);

        // Threads that returned ended their lanes; the slots say so.
        for (const auto& lane : lanes)
            if (lane.name.startsWith(QStringLiteral("worker-"))) {
                QCOMPARE(lane.state, abi::SlotState::Ended);
                QCOMPARE(lane.events.back().kind, EventKind::Finished);
            }
    }

    // More threads than slots: the first ones record, the others are counted and the program runs as usual.
    void slotExhaustion()
    {
        const QString exe = compile(QStringLiteral("contend"), kContend);
        QVERIFY(!exe.isEmpty());
        Arena arena(2);
        QVERIFY(arena.valid());
        const Ran ran = run(exe, {}, &arena);
        QVERIFY(ran.finished);
        QCOMPARE(ran.exitCode, 0);
        QVERIFY2(ran.out.startsWith("acquisitions 12000\ncounter 12000\n"), ran.out.constData());
        const auto& header = arena.view().header();
        QCOMPARE(header.nextSlot.load(), 2u);
        QCOMPARE(header.threadsWithoutSlot.load(), 4u); // 6 threads in two processes, 2 slots
        QCOMPARE(int(arena.lanes().size()), 2);
    }

    // A program started by exec or spawn with an environment that lacks the library, after clearenv(), or
    // from a vfork child, is traced all the same; so is one that closed all its descriptors.
    void execAndSpawn_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("execve without LD_PRELOAD") << QStringLiteral("execve");
        QTest::newRow("execle without LD_PRELOAD") << QStringLiteral("execle");
        QTest::newRow("posix_spawn without LD_PRELOAD") << QStringLiteral("spawn");
        QTest::newRow("vfork + execv") << QStringLiteral("vfork");
        QTest::newRow("clearenv + execv") << QStringLiteral("clearenv");
    }
    void execAndSpawn()
    {
        QFETCH(QString, mode);
        const QString execer = compile(QStringLiteral("execer"), kExecer);
        const QString target = compile(QStringLiteral("tl-target"), kTarget);
        QVERIFY(!execer.isEmpty() && !target.isEmpty());
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(execer, { mode, target }, &arena);
        QVERIFY2(ran.finished, ran.err.constData());
        QCOMPARE(ran.exitCode, 0);
        const QString out = QString::fromLocal8Bit(ran.out);
        QVERIFY2(out.startsWith(QStringLiteral("target %1\n").arg(mode)), ran.out.constData());
        qint64 targetPid = ran.pid; // exec keeps the process
        if (mode == QLatin1String("spawn") || mode == QLatin1String("vfork")) {
            const auto match = QRegularExpression(QStringLiteral("spawned (\\d+)")).match(out);
            QVERIFY(match.hasMatch());
            targetPid = match.captured(1).toLongLong();
        }

        const auto lanes = arena.lanes();
        const std::uint16_t lock = arena.lockNamed(QStringLiteral("target_lock"));
        QVERIFY2(lock != 0, "the exec'd program registered no lock");
        const Arena::Lane* targetLane = nullptr;
        bool execerSeen = false;
        for (const auto& lane : lanes) {
            if (lane.name == QLatin1String("tl-target"))
                targetLane = &lane;
            else if (lane.name == QLatin1String("execer") && lane.pid == ran.pid)
                execerSeen = true;
        }
        QVERIFY(execerSeen);
        QVERIFY2(targetLane, "the exec'd program claimed no slot");
        QCOMPARE(qint64(targetLane->pid), targetPid);
        QCOMPARE(qint64(targetLane->tid), targetPid);
        if (targetPid != ran.pid)
            QCOMPARE(qint64(targetLane->ppid), ran.pid);
        QCOMPARE(countEvents(*targetLane, EventKind::LockAcquired, lock), 1);
        QCOMPARE(countEvents(*targetLane, EventKind::LockReleased, lock), 1);
    }

    void closedDescriptors()
    {
        const QString execer = compile(QStringLiteral("execer"), kExecer);
        QVERIFY(!execer.isEmpty());
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(execer, { QStringLiteral("closefds"), QStringLiteral("-") }, &arena);
        QVERIFY(ran.finished);
        QCOMPARE(ran.exitCode, 5);
        const auto lanes = arena.lanes();
        QCOMPARE(int(lanes.size()), 1);
        const std::uint16_t lock = arena.lockNamed(QStringLiteral("closefds_lock"));
        QVERIFY2(lock != 0, "a lock taken after close_range() was not registered by name");
        QCOMPARE(countEvents(lanes[0], EventKind::LockAcquired, lock), 1);
        QCOMPARE(countEvents(lanes[0], EventKind::Sleeping, 0), 1);
    }

    // A condition wait lets the mutex go, sleeps on the condition, and has the mutex again.
    void conditionWait()
    {
        const QString exe = compile(QStringLiteral("cond"), kCond);
        QVERIFY(!exe.isEmpty());
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(exe, {}, &arena);
        QVERIFY(ran.finished);
        QCOMPARE(ran.exitCode, 0);
        QCOMPARE(ran.out, QByteArray("woken\n"));
        const std::uint16_t mutex = arena.lockNamed(QStringLiteral("ready_lock"));
        const std::uint16_t cond = arena.lockNamed(QStringLiteral("ready_cond"));
        QVERIFY(mutex != 0 && cond != 0);
        QCOMPARE(arena.lock(cond).kind, abi::ObjectKind::Condition);
        const auto lanes = arena.lanes();
        const auto main
            = std::find_if(lanes.begin(), lanes.end(), [&](const Arena::Lane& l) { return l.tid == ran.pid; });
        QVERIFY(main != lanes.end());
        const auto& ev = main->events;
        bool found = false;
        for (std::size_t i = 0; i + 3 < ev.size() && !found; ++i)
            found = ev[i].kind == EventKind::LockReleased && ev[i].lock == mutex
                && ev[i + 1].kind == EventKind::Sleeping && ev[i + 1].lock == cond
                && ev[i + 2].kind == EventKind::Running && ev[i + 3].kind == EventKind::LockAcquired
                && ev[i + 3].lock == mutex && ev[i + 3].value == 1;
        QVERIFY2(found, "no LockReleased(mutex), Sleeping(cond), Running, LockAcquired(mutex) in the waiter's lane");
        QString why;
        QVERIFY2(waitsFollowedByAcquire(lanes, &why) >= 0, qPrintable(why));
    }

    // A timed lock that gives up closes its wait with Running (as InstrumentedLock::lockWithin does); read
    // holds of an rwlock are recorded with value 2, write holds with 1.
    void timedLockAndRwLock()
    {
        const QString exe = compile(QStringLiteral("timed"), kTimed);
        QVERIFY(!exe.isEmpty());
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(exe, {}, &arena);
        QVERIFY(ran.finished);
        QCOMPARE(ran.out, QByteArray("timedlock timed out\n"));
        const std::uint16_t held = arena.lockNamed(QStringLiteral("held_lock"));
        const std::uint16_t table = arena.lockNamed(QStringLiteral("table_lock"));
        QVERIFY(held != 0 && table != 0);
        QCOMPARE(arena.lock(table).kind, abi::ObjectKind::RwLock);
        const auto lanes = arena.lanes();
        const auto main
            = std::find_if(lanes.begin(), lanes.end(), [&](const Arena::Lane& l) { return l.tid == ran.pid; });
        QVERIFY(main != lanes.end());
        const auto& ev = main->events;
        const auto wait = std::find_if(
            ev.begin(), ev.end(), [&](const Event& e) { return e.kind == EventKind::LockWait && e.lock == held; });
        QVERIFY(wait != ev.end() && wait + 1 != ev.end());
        QCOMPARE((wait + 1)->kind, EventKind::Running);
        QCOMPARE(countEvents(*main, EventKind::LockAcquired, held), 0);
        std::vector<std::int32_t> holds;
        for (const Event& e : ev)
            if (e.kind == EventKind::LockAcquired && e.lock == table)
                holds.push_back(e.value);
        QCOMPARE(holds, (std::vector<std::int32_t> { 2, 1 }));
        QCOMPARE(countEvents(*main, EventKind::LockReleased, table), 2);
    }

    // The annotation header: a named zone (a Zone entry held from begin to end), a mark, a counter, a lock
    // named by the program.
    void annotations()
    {
        const QString exe = compile(QStringLiteral("annotated"), kAnnotated, { QStringLiteral("-ldl") });
        QVERIFY(!exe.isEmpty());
        // Outside ThreadLab the calls do nothing.
        const Ran plain = run(exe, {}, nullptr, false);
        QVERIFY(plain.finished);
        QCOMPARE(plain.out, QByteArray("annotated\n"));
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(exe, {}, &arena);
        QVERIFY(ran.finished);
        QCOMPARE(ran.out, QByteArray("annotated\n"));
        const std::uint16_t zone = arena.lockNamed(QStringLiteral("phase one"));
        const std::uint16_t queue = arena.lockNamed(QStringLiteral("queue lock"));
        QVERIFY(zone != 0 && queue != 0);
        QCOMPARE(arena.lock(zone).kind, abi::ObjectKind::Zone);
        const auto lanes = arena.lanes();
        QCOMPARE(int(lanes.size()), 1);
        // A lane opens with Started and "CPU unknown until the kernel's first record" (ThreadLab follows
        // the thread's switches only once it has seen the slot).
        QVERIFY(lanes[0].events.size() > 2);
        QCOMPARE(lanes[0].events[0].kind, EventKind::Started);
        QCOMPARE(lanes[0].events[1].kind, EventKind::SwitchOut);
        QCOMPARE(lanes[0].events[1].value, kSwitchRecordsMayStop);
        std::vector<std::pair<EventKind, std::uint16_t>> seen;
        for (const Event& e : lanes[0].events)
            if (e.kind != EventKind::Started && e.kind != EventKind::SwitchOut)
                seen.emplace_back(e.kind, e.kind == EventKind::Mark ? std::uint16_t(e.value) : e.lock);
        const std::vector<std::pair<EventKind, std::uint16_t>> expected { { EventKind::LockAcquired, zone },
            { EventKind::LockAcquired, queue }, { EventKind::Mark, 42 }, { EventKind::LockReleased, queue },
            { EventKind::LockReleased, zone } };
        QVERIFY(seen == expected);
        QCOMPARE(arena.view().header().nextCounter.load(), 1u);
        QCOMPARE(QString::fromLocal8Bit(arena.view().counter(0).name), QStringLiteral("items"));
        QCOMPARE(arena.view().counter(0).value.load(), 7);
    }

    // LD_PRELOAD does not reach a static program: it runs as it would, and claims nothing.
    void staticProgram()
    {
        if (!QFile::exists(QStringLiteral("/usr/lib/x86_64-linux-gnu/libc.a"))
            && !QFile::exists(QStringLiteral("/usr/lib/libc.a")))
            QSKIP("no libc.a to link a static program with");
        const QString exe = compile(QStringLiteral("static"), kExits, { QStringLiteral("-static") });
        QVERIFY(!exe.isEmpty());
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(exe, {}, &arena);
        QVERIFY(ran.finished);
        QCOMPARE(ran.exitCode, 3);
        QCOMPARE(ran.out, QByteArray("static\n"));
        QCOMPARE(arena.view().header().nextSlot.load(), 0u);
    }

    // Without an arena (none named, or one that does not exist) the library only calls through.
    void passThrough()
    {
        const QString exe = compile(QStringLiteral("contend"), kContend);
        QVERIFY(!exe.isEmpty());
        const QRegularExpression expected(
            QStringLiteral("^acquisitions 12000\ncounter 12000\nchild (\\d+) exited 42\n$"));
        for (const QString& name : { QString(), QStringLiteral("/threadlab-arena-that-does-not-exist") }) {
            const Ran ran = run(exe, {}, nullptr, true, name);
            QVERIFY(ran.finished);
            QCOMPARE(ran.exitCode, 0);
            QVERIFY2(expected.match(QString::fromLocal8Bit(ran.out)).hasMatch(), ran.out.constData());
            QCOMPARE(ran.err, QByteArray());
        }
        const Ran plain = run(exe, {}, nullptr, false);
        QVERIFY(plain.finished);
        QVERIFY(expected.match(QString::fromLocal8Bit(plain.out)).hasMatch());
    }
};

QTEST_GUILESS_MAIN(TestTracee)
#include "tst_tracee.moc"
