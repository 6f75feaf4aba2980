// libthreadlab-tracee.so on CPython 3.11 (/usr/bin/python3): scripts written here run with the library
// preloaded into an arena this test formats itself (tests/support/tracearena.h) and the launcher's PYTHONPATH
// (the library's python/ directory), then read back directly. The GIL must be one lock named "GIL" that the
// CPU-bound threads wait for and hold in turn, never two at once; the threads' lanes carry their Python
// names. Then the same through `threadlab trace`, end to end.
#include "../support/cli.h"
#include "../support/tracearena.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <map>
#include <set>
#include <vector>

using namespace tl;
using tl::test::Arena;
using tl::test::Ran;
using tl::test::runProgram;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");

// Three named threads do CPU work at once; the script prints its pid and the sitecustomize that ran last.
const char* const kCrunchers = R"(
import os, sys, threading
def crunch():
    x = 0
    for i in range(1_500_000):
        x += i
threads = [threading.Thread(target=crunch, name=f"cruncher-{i}") for i in (1, 2, 3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(os.getpid(), getattr(sys.modules.get("sitecustomize"), "__file__", "none"))
)";

// Two CPU-bound threads: each should hold the GIL about half of the time and wait for it most of the rest.
const char* const kTwo = R"(
import os, threading
def crunch():
    x = 0
    for i in range(3_000_000):
        x += i
threads = [threading.Thread(target=crunch, name=f"cpu-{i}") for i in (1, 2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(os.getpid())
)";

// A process with a CPU-bound thread forks; the child runs two CPU-bound threads of its own.
const char* const kFork = R"(
import os, threading
def crunch():
    x = 0
    for i in range(1_000_000):
        x += i
t = threading.Thread(target=crunch, name="parent-cpu")
t.start()
pid = os.fork()
if pid == 0:
    threads = [threading.Thread(target=crunch, name=f"child-{i}") for i in (1, 2)]
    for c in threads:
        c.start()
    for c in threads:
        c.join()
    os._exit(0)
crunch()
t.join()
os.waitpid(pid, 0)
print(os.getpid(), pid)
)";

// Names given after the start: by the thread itself and by another thread.
const char* const kRenames = R"(
import os, threading
go = threading.Event()
done = threading.Event()
def me():
    threading.current_thread().name = "self-named"
    go.wait()
def other():
    done.wait()
a = threading.Thread(target=me, name="before-a")
b = threading.Thread(target=other, name="before-b")
a.start(); b.start()
b.name = "named-by-main"
go.set(); done.set()
a.join(); b.join()
print(os.getpid())
)";

// The GIL's acquisitions and releases of one process, all lanes merged by time: the number of times two
// threads would have held it at once, or a thread released it without holding it (-1 if none at all).
int gilOverlaps(const std::vector<Arena::Lane>& lanes, int pid, std::uint16_t gil, QString* why)
{
    struct Change {
        std::int64_t time;
        std::uint32_t lane;
        bool acquired;
    };
    std::vector<Change> changes;
    for (const auto& lane : lanes)
        if (lane.pid == pid)
            for (const Event& e : lane.events)
                if (e.lock == gil && (e.kind == EventKind::LockAcquired || e.kind == EventKind::LockReleased))
                    changes.push_back({ e.time, lane.index, e.kind == EventKind::LockAcquired });
    if (changes.empty())
        return -1;
    // Equal times (never seen: each is recorded inside gil.mutex): the release first, in the program's favour.
    std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
        return a.time != b.time ? a.time < b.time : (!a.acquired && b.acquired);
    });
    int bad = 0;
    std::int64_t holder = -1;
    for (const Change& c : changes) {
        if (c.acquired) {
            if (holder >= 0 && why->isEmpty())
                *why = QStringLiteral("lane %1 acquired the GIL at %2 while lane %3 held it")
                           .arg(c.lane)
                           .arg(c.time)
                           .arg(holder);
            bad += holder >= 0;
            holder = c.lane;
        } else {
            if (holder != c.lane && why->isEmpty())
                *why = QStringLiteral("lane %1 released the GIL at %2, held by %3").arg(c.lane).arg(c.time).arg(holder);
            bad += holder != c.lane;
            holder = -1;
        }
    }
    return bad;
}

int count(const Arena::Lane& lane, EventKind kind, std::uint16_t lock)
{
    return int(std::count_if(
        lane.events.begin(), lane.events.end(), [&](const Event& e) { return e.kind == kind && e.lock == lock; }));
}

// Every LockWait(GIL) of the lane is followed at once by the LockAcquired(GIL) that ends it: take_gil's timed
// waits on gil.cond are part of the wait, not Sleeping.
bool gilWaitsEndInTheGil(const Arena::Lane& lane, std::uint16_t gil, QString* why)
{
    for (std::size_t i = 0; i < lane.events.size(); ++i) {
        if (lane.events[i].kind != EventKind::LockWait || lane.events[i].lock != gil)
            continue;
        if (i + 1 >= lane.events.size() || lane.events[i + 1].kind != EventKind::LockAcquired
            || lane.events[i + 1].lock != gil) {
            *why = QStringLiteral("%1: LockWait(GIL) at event %2 is followed by %3")
                       .arg(lane.name)
                       .arg(i)
                       .arg(i + 1 < lane.events.size()
                               ? QString::fromLatin1(eventKindName(lane.events[i + 1].kind).data())
                               : QStringLiteral("nothing"));
            return false;
        }
    }
    return true;
}

// The lock entries named "GIL", by process.
std::map<int, std::uint16_t> gilEntries(const Arena& arena)
{
    std::map<int, std::uint16_t> out;
    const auto& header = arena.view().header();
    const std::uint32_t used = std::min(header.nextLock.load(), header.lockCount);
    for (std::uint32_t i = 0; i < used; ++i)
        if (arena.view().lock(i).ready.load() && std::strcmp(arena.view().lock(i).name, abi::kGilName) == 0)
            out[arena.view().lock(i).pid] = std::uint16_t(i + 1);
    return out;
}

// Share of [Started, last event] of a lane spent between LockAcquired(GIL) and LockReleased(GIL), and between
// LockWait(GIL) and LockAcquired(GIL).
std::pair<double, double> gilShares(const Arena::Lane& lane, std::uint16_t gil)
{
    std::int64_t held = 0, waited = 0, since = -1, waitSince = -1;
    for (const Event& e : lane.events) {
        if (e.lock != gil)
            continue;
        if (e.kind == EventKind::LockWait)
            waitSince = e.time;
        else if (e.kind == EventKind::LockAcquired) {
            if (waitSince >= 0)
                waited += e.time - waitSince;
            waitSince = -1;
            since = e.time;
        } else if (e.kind == EventKind::LockReleased && since >= 0) {
            held += e.time - since;
            since = -1;
        }
    }
    const double span = double(lane.events.back().time - lane.events.front().time);
    return { span > 0 ? held / span : 0, span > 0 ? waited / span : 0 };
}

} // namespace

class TestPython : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString script(const QString& name, const char* text)
    {
        QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(text) < 0)
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

    // The environment the launcher gives a traced program: the library, the arena, the library's python/.
    static Ran run(const QString& python, const QString& scriptPath, const Arena& arena)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const char* name : { "LD_PRELOAD", "THREADLAB_ARENA", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE" })
            env.remove(QString::fromLatin1(name));
        env.insert(QStringLiteral("LD_PRELOAD"), QStringLiteral(THREADLAB_TRACEE_LIBRARY));
        env.insert(QStringLiteral("THREADLAB_ARENA"), arena.name());
        env.insert(QStringLiteral("PYTHONPATH"),
            QFileInfo(QStringLiteral(THREADLAB_TRACEE_LIBRARY)).absolutePath() + QStringLiteral("/python"));
        return runProgram(python, { scriptPath }, env);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(QStringLiteral(THREADLAB_TRACEE_LIBRARY)), THREADLAB_TRACEE_LIBRARY);
        // Not a reason to skip: the test dependencies (installer/install-deps.sh) include python3.
        QVERIFY2(QFileInfo(kPython).isExecutable(), "no /usr/bin/python3: install the test dependencies");
        QProcess p;
        p.start(kPython, { QStringLiteral("-c"), QStringLiteral("import sys; print('%d.%d' % sys.version_info[:2])") });
        QVERIFY(p.waitForFinished(30000));
        const QByteArray version = p.readAllStandardOutput().trimmed();
        QVERIFY2(version == "3.11",
            qPrintable(QStringLiteral("/usr/bin/python3 is %1, not the 3.11 this test is for")
                           .arg(QString::fromLatin1(version))));
    }

    // Three named CPU-bound threads: lanes named as in Python (the main thread "MainThread"), one lock entry
    // "GIL" for the process and none for the mutexes inside it, each thread waits for and holds the GIL,
    // every wait ends in a hold, never two holders at once; the interpreter's own sitecustomize still ran.
    void namedThreadsWaitForAndHoldTheGilInTurn()
    {
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(kPython, script(QStringLiteral("crunchers.py"), kCrunchers), arena);
        QVERIFY2(ran.finished && ran.exitCode == 0, ran.err.constData());
        const QList<QByteArray> said = ran.out.trimmed().split(' ');
        QCOMPARE(said.size(), 2);
        const int pid = said[0].toInt();
        // Debian's own (the apport hook) is run by ours under its name; elsewhere ours is the only one.
        const QString distribution = QStringLiteral("/usr/lib/python3.11/sitecustomize.py");
        if (QFile::exists(distribution))
            QCOMPARE(QString::fromLocal8Bit(said[1]), distribution);

        QCOMPARE(arena.view().header().pythonGil.load(), abi::kGilTracked);
        const auto gils = gilEntries(arena);
        QCOMPARE(int(gils.size()), 1);
        QVERIFY(gils.count(pid));
        const std::uint16_t gil = gils.at(pid);
        QCOMPARE(arena.lock(gil).kind, abi::ObjectKind::Mutex);
        const std::uint32_t used = arena.view().header().nextLock.load();
        for (std::uint32_t i = 0; i < used; ++i)
            QVERIFY2(!QByteArray(arena.view().lock(i).name).startsWith("_PyRuntime"), arena.view().lock(i).name);

        const auto lanes = arena.lanes();
        std::multiset<QString> names;
        for (const auto& lane : lanes)
            if (lane.pid == pid)
                names.insert(lane.name);
        QCOMPARE(names,
            (std::multiset<QString> { QStringLiteral("MainThread"), QStringLiteral("cruncher-1"),
                QStringLiteral("cruncher-2"), QStringLiteral("cruncher-3") }));
        for (const auto& lane : lanes) {
            if (!lane.name.startsWith(u"cruncher-"))
                continue;
            QVERIFY2(count(lane, EventKind::LockWait, gil) > 0, qPrintable(lane.name));
            QVERIFY2(count(lane, EventKind::LockAcquired, gil) > 0, qPrintable(lane.name));
            QCOMPARE(count(lane, EventKind::LockReleased, gil), count(lane, EventKind::LockAcquired, gil));
            QCOMPARE(count(lane, EventKind::Sleeping, 0), 0); // a GIL wait is not a sleep
            QString why;
            QVERIFY2(gilWaitsEndInTheGil(lane, gil, &why), qPrintable(why));
        }
        QString why;
        QCOMPARE(gilOverlaps(lanes, pid, gil, &why), 0);
        QVERIFY2(why.isEmpty(), qPrintable(why));
    }

    // Two CPU-bound threads share the GIL: each holds it for a good part of its life and waits for it for
    // most of the rest (the remainder: forced hand-offs, until the other thread has it; off-CPU).
    void twoCpuBoundThreadsShareTheGil()
    {
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(kPython, script(QStringLiteral("two.py"), kTwo), arena);
        QVERIFY2(ran.finished && ran.exitCode == 0, ran.err.constData());
        const int pid = ran.out.trimmed().toInt();
        const std::uint16_t gil = gilEntries(arena)[pid];
        QVERIFY(gil != 0);
        int seen = 0;
        for (const auto& lane : arena.lanes()) {
            if (lane.pid != pid || !lane.name.startsWith(u"cpu-"))
                continue;
            ++seen;
            const auto [held, waited] = gilShares(lane, gil);
            qInfo("%s: held the GIL %.1f %%, waited for it %.1f %%, hand-offs %d", qPrintable(lane.name), 100 * held,
                100 * waited, int(std::count_if(lane.events.begin(), lane.events.end(), [](const Event& e) {
                    return e.kind == EventKind::Mark && e.value == abi::kMarkGilHandOff;
                })));
            QVERIFY2(held > 0.25 && held < 0.75, qPrintable(QString::number(held)));
            QVERIFY2(waited > 0.15, qPrintable(QString::number(waited)));
        }
        QCOMPARE(seen, 2);
    }

    // After os.fork() the child's interpreter re-creates its GIL at the same address: the child has a GIL
    // entry of its own, which its threads (named as in Python) take in turn; the parent's is untouched.
    void aForkedChildTracksItsOwnGil()
    {
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(kPython, script(QStringLiteral("fork.py"), kFork), arena);
        QVERIFY2(ran.finished && ran.exitCode == 0, ran.err.constData());
        const QList<QByteArray> said = ran.out.trimmed().split(' ');
        QCOMPARE(said.size(), 2);
        const int parent = said[0].toInt();
        const int child = said[1].toInt();
        const auto gils = gilEntries(arena);
        QCOMPARE(int(gils.size()), 2);
        QVERIFY(gils.count(parent) && gils.count(child));
        const auto lanes = arena.lanes();
        std::set<QString> childNames;
        for (const auto& lane : lanes)
            if (lane.pid == child) {
                childNames.insert(lane.name);
                if (lane.name.startsWith(u"child-")) {
                    QVERIFY2(count(lane, EventKind::LockAcquired, gils.at(child)) > 0, qPrintable(lane.name));
                    QCOMPARE(count(lane, EventKind::LockAcquired, gils.at(parent)), 0);
                }
            }
        QVERIFY(childNames.count(QStringLiteral("child-1")) && childNames.count(QStringLiteral("child-2")));
        for (const int pid : { parent, child }) {
            QString why;
            QCOMPARE(gilOverlaps(lanes, pid, gils.at(pid), &why), 0);
            QVERIFY2(why.isEmpty(), qPrintable(why));
        }
    }

    // A name given after the start, by the thread itself or by another one, reaches the lane.
    void namesSetLaterReachTheLane()
    {
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(kPython, script(QStringLiteral("renames.py"), kRenames), arena);
        QVERIFY2(ran.finished && ran.exitCode == 0, ran.err.constData());
        const int pid = ran.out.trimmed().toInt();
        std::set<QString> names;
        for (const auto& lane : arena.lanes())
            if (lane.pid == pid)
                names.insert(lane.name);
        QCOMPARE(names,
            (std::set<QString> {
                QStringLiteral("MainThread"), QStringLiteral("self-named"), QStringLiteral("named-by-main") }));
    }

    // Any other CPython (3.10 has no Py_Version, 3.12 keeps its GIL elsewhere) is flagged, and no lock is
    // called GIL: the launcher says its GIL is unknown rather than draw a wrong one.
    void anotherPythonIsFlaggedNotGuessed()
    {
        QStringList candidates;
        for (const char* name : { "python3.12", "python3.13", "python3.10", "python3.14", "python3.9" })
            if (const QString found = QStandardPaths::findExecutable(QString::fromLatin1(name)); !found.isEmpty())
                candidates << found;
        QDirIterator pyenv(QDir::homePath() + QStringLiteral("/.pyenv/versions"), QDir::Dirs | QDir::NoDotAndDotDot);
        while (pyenv.hasNext())
            candidates << pyenv.next() + QStringLiteral("/bin/python3");
        QString other;
        for (const QString& python : candidates) {
            QProcess p;
            p.start(
                python, { QStringLiteral("-c"), QStringLiteral("import sys; print(sys.version_info[:2] >= (3, 7))") });
            if (p.waitForFinished(30000) && p.exitCode() == 0 && p.readAllStandardOutput().trimmed() == "True") {
                QProcess v;
                v.start(python, { QStringLiteral("-c"), QStringLiteral("import sys; print(sys.version_info[:2])") });
                if (v.waitForFinished(30000) && v.readAllStandardOutput().trimmed() != "(3, 11)") {
                    other = python;
                    break;
                }
            }
        }
        if (other.isEmpty())
            QSKIP("no CPython other than 3.11 on this machine (3.7-3.10, 3.12+)");
        Arena arena;
        QVERIFY(arena.valid());
        const Ran ran = run(other, script(QStringLiteral("two-other.py"), kTwo), arena);
        QVERIFY2(ran.finished && ran.exitCode == 0, ran.err.constData());
        qInfo("%s", qPrintable(other));
        QCOMPARE(arena.view().header().pythonGil.load(), abi::kGilUnknownPython);
        QVERIFY(gilEntries(arena).empty());
    }

    // `threadlab trace --json --csv F -- /usr/bin/python3 script.py`: the lanes have the Python names, a lock
    // named GIL is waited for and held, and the summary says the GIL is shown.
    void traceShowsPythonNamesAndTheGil()
    {
        const QString csv = m_dir.filePath(QStringLiteral("crunchers.csv"));
        const auto r
            = tl::test::runThreadlab({ QStringLiteral("trace"), QStringLiteral("--json"), QStringLiteral("--csv"), csv,
                QStringLiteral("--"), kPython, script(QStringLiteral("crunchers.py"), kCrunchers) });
        QVERIFY2(r.code == 0, r.err.constData());
        const qsizetype json = r.out.indexOf('{');
        QVERIFY(json > 0);
        const QJsonObject summary = QJsonDocument::fromJson(r.out.mid(json)).object();
        const QJsonValue gilSaid
            = summary.contains(u"python_gil") ? summary[u"python_gil"] : summary[u"results"][u"python_gil"];
        QCOMPARE(gilSaid.toString(), QStringLiteral("the lock GIL"));

        QList<QByteArray> lines = tl::test::contents(csv).split('\n');
        QVERIFY(!lines.isEmpty());
        const QList<QByteArray> header = lines.takeFirst().split(',');
        const qsizetype nameAt = header.indexOf("worker_name"), kindAt = header.indexOf("kind"),
                        lockAt = header.indexOf("lock");
        QVERIFY(nameAt >= 0 && kindAt >= 0 && lockAt >= 0);
        std::set<QString> names;
        std::map<QString, std::set<QString>> gilKindsOf;
        for (const QByteArray& line : lines) {
            const QList<QByteArray> f = line.split(',');
            if (f.size() != header.size())
                continue;
            const QString name = QString::fromUtf8(f[nameAt]).remove(u'"');
            names.insert(name);
            if (QString::fromUtf8(f[lockAt]).remove(u'"') == u"GIL")
                gilKindsOf[name].insert(QString::fromUtf8(f[kindAt]).remove(u'"'));
        }
        for (const QString& name : { QStringLiteral("MainThread"), QStringLiteral("cruncher-1"),
                 QStringLiteral("cruncher-2"), QStringLiteral("cruncher-3") })
            QVERIFY2(names.count(name),
                qPrintable(name + QStringLiteral(" not among: ")
                    + QStringList(names.begin(), names.end()).join(QStringLiteral(", "))));
        for (int i = 1; i <= 3; ++i) {
            const auto& kinds = gilKindsOf[QStringLiteral("cruncher-%1").arg(i)];
            QVERIFY2(kinds.count(QStringLiteral("lock_wait")) && kinds.count(QStringLiteral("lock_acquired")),
                qPrintable(QStringLiteral("cruncher-%1").arg(i)));
        }
    }

    // Under python -I (PYTHONPATH ignored) the threads keep the interpreter's name, and the summary says why.
    void traceSaysWhyPythonNamesAreMissing()
    {
        const auto r = tl::test::runThreadlab({ QStringLiteral("trace"), QStringLiteral("--json"), QStringLiteral("--"),
            kPython, QStringLiteral("-u"), QStringLiteral("-I"), script(QStringLiteral("two-isolated.py"), kTwo) });
        QVERIFY2(r.code == 0, r.err.constData());
        const qsizetype json = r.out.indexOf('{');
        QVERIFY(json > 0);
        const QJsonObject summary = QJsonDocument::fromJson(r.out.mid(json)).object();
        const QJsonValue said = summary.contains(u"python_thread_names") ? summary[u"python_thread_names"]
                                                                         : summary[u"results"][u"python_thread_names"];
        QVERIFY2(said.toString().contains(u"python -I"), r.out.constData());
    }
};

QTEST_GUILESS_MAIN(TestPython)
#include "tst_python.moc"
