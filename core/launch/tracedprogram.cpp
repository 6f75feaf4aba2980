#include "tracedprogram.h"

#include "../processes/procfs.h"
#include "../run/runcontext.h"
#include "../sync/lockregistry.h"
#include "../trace/systemerror.h"
#include "arenasegment.h"
#include "proctree.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <set>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace tl {

namespace {
constexpr auto kPollPeriod = std::chrono::milliseconds(5);
// A thread /proc lists gets a lane of its own (the kernel's view only) when its tracee slot has not
// appeared by then: a thread the library sees claims its slot at its first instruction.
constexpr std::int64_t kSlotGraceNs = 20'000'000;
constexpr std::int64_t kCpuSampleEveryNs = 100'000'000;
constexpr std::int64_t kExitWordGraceNs = 100'000'000;
// The arena: a slot for each thread the library sees, with a ring of 4 MiB (256 Ki events): a thread
// recording 2.5 M events a second fills it in 100 ms, the collector's longest stall on a busy machine
// (BUFFERS.md's rule: rate x stall). Pages are only used as threads write them.
constexpr abi::ArenaLayout kLayout { 128, 4096, 64, 4096, std::uint64_t(1) << 18 };

// A name field of the arena, which the program may be writing: copied first, then ended.
template <std::size_t N> QString fieldText(const char (&field)[N])
{
    char copy[N];
    std::memcpy(copy, field, N);
    copy[N - 1] = '\0';
    return QString::fromLocal8Bit(copy);
}

bool executableFile(const QFileInfo& f)
{
    return f.isFile() && f.isExecutable();
}

// The option of a python command line that keeps the library's sitecustomize.py (Python thread names) from
// running: -S (no site module), -E or -I (PYTHONPATH ignored); empty if none. Options end at the script,
// -c or -m; -W and -X take an argument.
QString pythonOptionWithoutNames(const QStringList& command)
{
    if (command.isEmpty() || !QFileInfo(command.first()).fileName().startsWith(u"python"))
        return {};
    for (qsizetype i = 1; i < command.size(); ++i) {
        const QString& a = command[i];
        if (!a.startsWith(u'-') || a == u"-" || a == u"--")
            return {};
        if (a.startsWith(u"--"))
            continue;
        for (qsizetype k = 1; k < a.size(); ++k) {
            const QChar c = a[k];
            if (c == u'S' || c == u'E' || c == u'I')
                return QStringLiteral("-") + c;
            if (c == u'c' || c == u'm')
                return {};
            if (c == u'W' || c == u'X') {
                i += k + 1 == a.size(); // its argument is the next word
                break;
            }
        }
    }
    return {};
}
}

ProgramCheck checkProgram(const TraceRequest& request)
{
    if (request.command.isEmpty())
        return { 127, QStringLiteral("no program given"), {} };
    const QString& program = request.command.first();
    const QDir base(request.workingDirectory.isEmpty() ? QDir::currentPath() : request.workingDirectory);
    if (program.contains(u'/')) {
        const QFileInfo f(base.absoluteFilePath(program));
        if (!f.exists())
            return { 127, QStringLiteral("%1: no such file").arg(program), {} };
        if (!executableFile(f))
            return { 126, QStringLiteral("%1: not an executable file").arg(program), {} };
        return { 0, {}, f.absoluteFilePath() };
    }
    QString notExecutable;
    const QString path = qEnvironmentVariable("PATH", QStringLiteral("/usr/local/bin:/usr/bin:/bin"));
    for (const QString& dir : path.split(u':')) {
        const QFileInfo f(QDir(dir.isEmpty() ? QStringLiteral(".") : dir).absoluteFilePath(program));
        if (executableFile(f))
            return { 0, {}, f.absoluteFilePath() };
        if (f.exists() && notExecutable.isEmpty())
            notExecutable = f.absoluteFilePath();
    }
    if (!notExecutable.isEmpty())
        return { 126, QStringLiteral("%1: not an executable file").arg(notExecutable), {} };
    return { 127, QStringLiteral("%1: command not found (not in PATH)").arg(program), {} };
}

QString traceeLibraryPath(QString* why)
{
    const QString overridden = qEnvironmentVariable("THREADLAB_TRACEE");
    if (!overridden.isEmpty())
        return QFileInfo::exists(overridden) ? QFileInfo(overridden).absoluteFilePath() : QString();
    const QString exe = QCoreApplication::instance()
        ? QCoreApplication::applicationDirPath()
        : QFileInfo(QFile::symLinkTarget(QStringLiteral("/proc/self/exe"))).path();
    const QString name = QString::fromLatin1(abi::kTraceeLibrary);
    QStringList candidates { exe + QStringLiteral("/../tracee/") + name,
        exe + QStringLiteral("/../libexec/threadlab/") + name };
    for (const QString& c : candidates)
        if (QFileInfo::exists(c))
            return QFileInfo(c).canonicalFilePath();
    if (why)
        *why = QStringLiteral("%1 is in none of: %2").arg(name, candidates.join(QStringLiteral(", ")));
    return {};
}

// One trace from start to end: the program's process tree, the arena, and the lanes made for them.
class TracedProgram::Session {
public:
    Session(TracedProgram& owner, RunContext& ctx)
        : m_owner(owner)
        , m_ctx(ctx)
    {
    }

    void run()
    {
        m_library = traceeLibraryPath(&m_libraryMissing);
        m_arena = ArenaSegment::create(kLayout);
        start();
        while (!finished()) {
            std::this_thread::sleep_for(kPollPeriod);
            if (m_ctx.stopRequested())
                stopProgram();
            poll();
        }
        poll();
        ::prctl(PR_SET_CHILD_SUBREAPER, 0);
        report();
    }

private:
    struct Lane {
        std::uint32_t worker = 0;
        std::int64_t pid = 0;
        std::int64_t tid = 0;
        const abi::Slot* slot = nullptr; // null: the kernel's view only (ThreadLab writes its recorder)
        std::uint32_t nameVersion = 0;
        bool ended = false;
    };
    struct Process {
        ProcessInfo info;
        bool hasLane = false;
        std::uint64_t firstSeenTicks = 0;
    };

    void start();
    void poll();
    void adoptSlots();
    void adoptLocksAndCounters();
    void scanProcesses();
    // How the program's own children ended, as the program collected them (the tracee's wait wrappers).
    void adoptExits();
    void noteProcess(std::int64_t pid, std::int64_t ppid);
    // A lane for thread `tid`: the slot's, or (slot null) one of the kernel's view that ThreadLab writes,
    // started at `startTicks`; followed through the kernel unless the thread is already gone.
    std::uint32_t addLane(std::int64_t pid, std::int64_t tid, const QString& name, const abi::Slot* slot,
        std::uint64_t startTicks = 0, bool follow = true);
    void endProcess(Process& p, int waitStatus);
    // The lane's last word, written by ThreadLab once its thread is gone; `afterItsEnd`: even after the
    // thread's own Finished (a process's death on its lane).
    void endLane(Lane& lane, EventKind kind, std::int32_t value, bool afterItsEnd = false);
    void stopProgram();
    bool finished() const;

public:
    // Kills what is left of the program and collects its root, after a failure.
    void abandon()
    {
        for (auto& [pid, p] : m_processes)
            if (!p.info.ended() && !(pid == m_root && m_rootReaped))
                ::kill(pid_t(pid), SIGKILL);
        for (auto& [pid, p] : m_processes) // the root, and the orphans that became ThreadLab's
            if (!(pid == m_root && m_rootReaped))
                ::waitpid(pid_t(pid), nullptr, 0);
        m_rootReaped = true;
        ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    }

private:
    void report();
    QString groupName(std::int64_t pid) const;

    TracedProgram& m_owner;
    RunContext& m_ctx;
    QString m_library;
    QString m_libraryMissing;
    std::shared_ptr<ArenaSegment> m_arena;
    std::int64_t m_root = 0;
    bool m_rootReaped = false;
    std::map<std::int64_t, Process> m_processes;
    std::vector<Lane> m_lanes;
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> m_unslotted; // (pid, tid) → first seen
    std::uint32_t m_slotsSeen = 0;
    std::uint32_t m_locksSeen = 0;
    std::uint32_t m_countersSeen = 0;
    std::uint32_t m_exitsSeen = 0;
    std::map<std::int64_t, int> m_toldExits; // pid → wait status
    std::map<std::int64_t, std::int64_t> m_vanishedAt; // pid → when /proc stopped listing it
    std::vector<RunContext::CounterRegistration> m_counters;
    std::int64_t m_stopSentNs = 0;
    std::int64_t m_cpuSampledNs = 0;
    std::set<std::pair<std::int64_t, std::int64_t>> m_unshown; // threads past the run's lanes
    bool m_killed = false;
};

void TracedProgram::Session::start()
{
    const ProgramCheck check = checkProgram(m_owner.m_request);
    if (check.exitCode != 0)
        throw std::runtime_error(check.reason.toStdString());
    // Everything the child needs is made before fork(): in between fork and exec only async-signal-safe calls.
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString& kv : m_owner.m_request.environment)
        env.insert(kv.section(u'=', 0, 0), kv.section(u'=', 1));
    if (!m_library.isEmpty()) {
        const QString preload = env.value(QStringLiteral("LD_PRELOAD"));
        env.insert(QStringLiteral("LD_PRELOAD"), preload.isEmpty() ? m_library : m_library + u':' + preload);
        // Python thread names: the library's python/sitecustomize.py, first on the path (tracee/python/).
        const QString pythonDir = QFileInfo(m_library).absolutePath() + QStringLiteral("/python");
        if (QFileInfo::exists(pythonDir + QStringLiteral("/sitecustomize.py"))) {
            const QString path = env.value(QStringLiteral("PYTHONPATH"));
            env.insert(QStringLiteral("PYTHONPATH"), path.isEmpty() ? pythonDir : pythonDir + u':' + path);
        }
    }
    env.insert(QString::fromLatin1(abi::kArenaEnv), m_arena->name());
    std::vector<QByteArray> envStore;
    for (const QString& kv : env.toStringList())
        envStore.push_back(kv.toLocal8Bit());
    std::vector<QByteArray> argStore;
    for (const QString& a : m_owner.m_request.command)
        argStore.push_back(a.toLocal8Bit());
    std::vector<char*> envp;
    std::vector<char*> argv;
    for (auto& e : envStore)
        envp.push_back(e.data());
    for (auto& a : argStore)
        argv.push_back(a.data());
    envp.push_back(nullptr);
    argv.push_back(nullptr);
    const QByteArray path = check.path.toLocal8Bit();
    const QByteArray dir = m_owner.m_request.workingDirectory.toLocal8Bit();

    // Processes the program starts and leaves behind become ThreadLab's children instead of init's: the
    // trace still finds them, waits for them and collects their exit status. For the trace's duration.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0)
        throw std::runtime_error("cannot start the program: " + systemErrorText(errno));
    const pid_t pid = ::fork();
    if (pid == 0) {
        // The program gets the signals a shell would give it: ThreadLab blocks its stop signals in every
        // thread and ignores SIGPIPE, and both would survive exec.
        sigset_t none;
        sigemptyset(&none);
        ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
        for (const int signo : { SIGPIPE, SIGXFSZ, SIGINT, SIGTERM, SIGHUP, SIGCHLD })
            ::signal(signo, SIG_DFL);
        int error = 0;
        if (!dir.isEmpty() && ::chdir(dir.constData()) != 0)
            error = errno;
        if (error == 0) {
            ::execve(path.constData(), argv.data(), envp.data());
            error = errno;
        }
        [[maybe_unused]] const auto n = ::write(report[1], &error, sizeof error);
        ::_exit(127);
    }
    const int forkError = errno;
    if (pid > 0) { // before anything else: the program may run, and a signal for it may come, at once
        m_owner.m_pid.store(pid);
        if (const int signo = m_owner.m_pendingSignal.exchange(0)) // one that came while fork() returned
            ::kill(pid, signo);
    }
    ::close(report[1]);
    if (pid < 0) {
        ::close(report[0]);
        throw std::runtime_error("cannot start the program: " + systemErrorText(forkError));
    }
    int execError = 0;
    const auto n = ::read(report[0], &execError, sizeof execError); // end of file: exec succeeded
    ::close(report[0]);
    m_root = pid;
    if (n == sizeof execError) {
        ::waitpid(pid, nullptr, 0);
        m_rootReaped = true;
        throw std::runtime_error(
            QStringLiteral("cannot run %1: ").arg(check.path).toStdString() + systemErrorText(execError));
    }
    noteProcess(pid, getpid());
    m_ctx.setSchedulerSource(QString::fromLatin1(kContextSwitchSource));
}

void TracedProgram::Session::poll()
{
    adoptSlots();
    adoptLocksAndCounters();
    adoptExits();
    scanProcesses();
}

QString TracedProgram::Session::groupName(std::int64_t pid) const
{
    const auto it = m_processes.find(pid);
    return it == m_processes.end() || it->second.info.name.isEmpty() ? QStringLiteral("process") : it->second.info.name;
}

void TracedProgram::Session::noteProcess(std::int64_t pid, std::int64_t ppid)
{
    if (m_processes.count(pid))
        return;
    Process& p = m_processes[pid];
    p.info.pid = pid;
    p.info.ppid = ppid;
    p.info.name = proctree::threadName(pid, pid);
    p.info.params = proctree::commandLine(pid);
    if (pid == m_root && p.info.params.isEmpty())
        p.info.params = m_owner.m_request.command.join(u' ');
    p.info.state = ProcessInfo::State::Running;
    p.firstSeenTicks = clock::ticks();
}

std::uint32_t TracedProgram::Session::addLane(std::int64_t pid, std::int64_t tid, const QString& name,
    const abi::Slot* slot, std::uint64_t startTicks, bool follow)
{
    noteProcess(pid, proctree::status(pid).value_or(proctree::Status {}).ppid);
    Process& p = m_processes[pid];
    if (m_ctx.workerCount() >= kMaxWorkers) { // a lane fewer, said in the results, rather than a failed run
        m_unshown.insert({ pid, tid });
        return std::uint32_t(-1);
    }
    // Threads inherit their process's name until they set one: then the thread id tells them apart.
    const QString laneName = name.isEmpty() ? QStringLiteral("thread %1").arg(tid)
        : tid != pid && name == p.info.name ? QStringLiteral("%1 (tid %2)").arg(name).arg(tid)
                                            : name;
    std::uint32_t worker = 0;
    if (slot) {
        worker = m_ctx.addWorkerAttached(laneName, groupName(pid), m_arena->view().recorder(*slot), m_arena);
    } else {
        worker = m_ctx.addWorker(laneName, groupName(pid));
        Recorder& rec = m_ctx.recorder(worker);
        const std::uint64_t at = startTicks ? startTicks : clock::ticks();
        rec.recordStamped(at, EventKind::Started);
        // The kernel's records start when ThreadLab first sees the thread, which may be asleep by then: until
        // its first record, whether it has a CPU is unknown, and the lane says so instead of drawing it running.
        rec.recordStamped(at, EventKind::SwitchOut, kSwitchRecordsMayStop);
    }
    if (follow)
        m_ctx.setWorkerThread(worker, pid, tid);
    m_lanes.push_back({ worker, pid, tid, slot, slot ? slot->nameVersion.load() : 0, false });
    // The process table points at its first lane (its main thread's, unless another was seen first).
    if (!p.hasLane) {
        p.info.worker = worker;
        p.hasLane = true;
        m_ctx.setProcess(p.info);
    }
    return worker;
}

void TracedProgram::Session::adoptSlots()
{
    const abi::ArenaView& arena = m_arena->view();
    const std::uint32_t claimed = std::min(arena.header().nextSlot.load(), arena.header().slotCount);
    for (; m_slotsSeen < claimed; ++m_slotsSeen) {
        const abi::Slot& slot = arena.slot(m_slotsSeen);
        if (slot.state.load(std::memory_order_acquire) == abi::SlotState::Claimed
            || slot.state.load() == abi::SlotState::Free)
            break; // being filled in: next time
        // The same thread in a new slot: its process exec'd a new program. The old image's lane ends here.
        for (Lane& lane : m_lanes)
            if (!lane.ended && lane.slot && lane.pid == slot.pid && lane.tid == slot.tid)
                endLane(lane, EventKind::Finished, 0);
        m_unslotted.erase({ slot.pid, slot.tid });
        // The name's version before the name (its seqlock): a rename meanwhile (a Python thread names itself
        // at once) is then seen below, next time, instead of the old name kept under the new version.
        const std::uint32_t version = slot.nameVersion.load(std::memory_order_acquire);
        addLane(slot.pid, slot.tid, fieldText(slot.name), &slot);
        if (!m_lanes.empty() && m_lanes.back().slot == &slot)
            m_lanes.back().nameVersion = version;
    }
    // Names set after a thread started (pthread_setname_np, prctl).
    for (Lane& lane : m_lanes) {
        if (!lane.slot)
            continue;
        const std::uint32_t version = lane.slot->nameVersion.load(std::memory_order_acquire);
        if (version == lane.nameVersion || (version & 1))
            continue;
        const QString name = fieldText(lane.slot->name);
        if (lane.slot->nameVersion.load(std::memory_order_acquire) != version)
            continue; // written meanwhile: next time
        lane.nameVersion = version;
        m_ctx.renameWorker(lane.worker, name);
    }
}

void TracedProgram::Session::adoptLocksAndCounters()
{
    const abi::ArenaView& arena = m_arena->view();
    const std::uint32_t locks = std::min(arena.header().nextLock.load(), arena.header().lockCount);
    for (; m_locksSeen < locks; ++m_locksSeen) {
        const abi::LockEntry& entry = arena.lock(m_locksSeen);
        if (!entry.ready.load(std::memory_order_acquire))
            break;
        const std::uint16_t id = m_ctx.addExternalLock(fieldText(entry.name));
        if (id != m_locksSeen + 1) // events name entry i as lock i + 1: no other lock may come first
            throw std::logic_error("a traced program's locks must be the run's only ones");
    }
    const std::uint32_t counters = std::min(arena.header().nextCounter.load(), arena.header().counterCount);
    for (; m_countersSeen < counters; ++m_countersSeen) {
        abi::CounterEntry& entry = arena.counter(m_countersSeen);
        if (!entry.ready.load(std::memory_order_acquire))
            break;
        m_counters.push_back(m_ctx.addCounter(
            fieldText(entry.name), [&entry, arena = m_arena] { return entry.value.load(std::memory_order_relaxed); }));
    }
}

void TracedProgram::Session::adoptExits()
{
    const abi::ArenaView& arena = m_arena->view();
    const std::uint32_t told = std::min(arena.header().nextExit.load(), arena.header().exitCount);
    for (; m_exitsSeen < told; ++m_exitsSeen) {
        const abi::ExitEntry& entry = arena.exit(m_exitsSeen);
        if (!entry.ready.load(std::memory_order_acquire))
            break;
        m_toldExits[entry.pid] = entry.waitStatus;
    }
}

void TracedProgram::Session::scanProcesses()
{
    // The root: ThreadLab's own child, whose exit status is ThreadLab's to collect.
    if (!m_rootReaped) {
        int status = 0;
        if (::waitpid(pid_t(m_root), &status, WNOHANG) == m_root) {
            m_rootReaped = true;
            endProcess(m_processes[m_root], status);
        }
    }
    // Its descendants, as /proc lists them now, and their threads.
    const std::int64_t now = clock::monotonicNs();
    std::vector<std::int64_t> queue { m_root };
    for (const std::int64_t orphan : proctree::childrenOf(getpid())) // left behind by a process that ended
        if (orphan != m_root) {
            noteProcess(orphan, getpid());
            queue.push_back(orphan);
        }
    std::map<std::int64_t, std::vector<std::int64_t>> threadsNow; // of each live process reached: read once
    for (std::size_t i = 0; i < queue.size(); ++i) {
        const std::int64_t pid = queue[i];
        for (const std::int64_t child : proctree::childrenOf(pid)) {
            noteProcess(child, pid);
            queue.push_back(child);
        }
        if ((pid == m_root && m_rootReaped) || m_processes[pid].info.ended())
            continue; // a zombie still lists its main thread: no new lane for the dead
        for (const std::int64_t tid : threadsNow[pid] = proctree::threadsOf(pid)) {
            const bool known = std::any_of(m_lanes.begin(), m_lanes.end(),
                [&](const Lane& l) { return l.pid == pid && l.tid == tid && !l.ended; });
            if (known || m_unshown.count({ pid, tid }))
                continue;
            // Without the library nothing will claim a slot: the kernel's view at once.
            const std::int64_t grace = m_library.isEmpty() ? -1 : kSlotGraceNs;
            const auto [it, fresh] = m_unslotted.try_emplace({ pid, tid }, now);
            if (now - it->second > grace) {
                m_unslotted.erase(it);
                addLane(pid, tid, proctree::threadName(pid, tid), nullptr);
            }
        }
    }
    // Processes that ended: a zombie shows its wait status until its parent collects it.
    for (auto& [pid, p] : m_processes) {
        if (p.info.ended() || pid == m_root)
            continue;
        if (int orphaned = 0; ::waitpid(pid_t(pid), &orphaned, WNOHANG) == pid) { // ours since its parent died
            endProcess(p, orphaned);
            continue;
        }
        const auto status = proctree::status(pid);
        if (!status) {
            // Collected by its parent. The tracee there writes how it ended just after its wait returns: that
            // word gets a moment to arrive before the exit is called unseen.
            const auto [since, fresh] = m_vanishedAt.try_emplace(pid, now);
            if (m_toldExits.count(pid) || now - since->second > kExitWordGraceNs)
                endProcess(p, -1);
        } else if (status->state == 'Z')
            endProcess(p, status->waitStatus);
    }
    // The process table's CPU times: a /proc read per process, a few times a second.
    if (now - m_cpuSampledNs >= kCpuSampleEveryNs) {
        m_cpuSampledNs = now;
        for (auto& [pid, p] : m_processes)
            if (!p.info.ended() && p.hasLane) {
                p.info.cpuNs = std::max(p.info.cpuNs, processCpuNs(pid));
                m_ctx.setProcess(p.info);
            }
    }
    // Threads that ended inside a running process without a word through the library.
    for (Lane& lane : m_lanes) {
        if (lane.ended || m_processes[lane.pid].info.ended())
            continue;
        const auto listed = threadsNow.find(lane.pid);
        const auto tids = listed != threadsNow.end() ? listed->second : proctree::threadsOf(lane.pid);
        if (std::find(tids.begin(), tids.end(), lane.tid) == tids.end()) {
            if (lane.slot && lane.slot->state.load() == abi::SlotState::Ended)
                lane.ended = true; // it said Finished itself
            else
                endLane(lane, EventKind::Finished, 0);
        }
    }
}

void TracedProgram::Session::endLane(Lane& lane, EventKind kind, std::int32_t value, bool afterItsEnd)
{
    if (lane.ended)
        return;
    lane.ended = true;
    Recorder& rec = m_ctx.recorder(lane.worker);
    if (lane.slot) {
        if (!afterItsEnd && lane.slot->state.load() == abi::SlotState::Ended)
            return; // its thread said Finished itself
        rec.takeOverFromDeadWriter(); // its thread is gone: ThreadLab writes the lane's last word
    }
    rec.record(kind, value);
}

void TracedProgram::Session::endProcess(Process& p, int waitStatus)
{
    ProcessInfo& info = p.info;
    if (!p.hasLane) // it lived and ended between two looks, or before its slot: the kernel's view of it
        addLane(info.pid, info.pid, info.name, nullptr, p.firstSeenTicks, false);
    std::int32_t how = kExitUnseen;
    if (const auto told = m_toldExits.find(info.pid); waitStatus < 0 && told != m_toldExits.end())
        waitStatus = told->second;
    if (waitStatus < 0) {
        info.state = ProcessInfo::State::Gone;
    } else if (WIFSIGNALED(waitStatus)) {
        info.signal = WTERMSIG(waitStatus);
        info.state = m_stopSentNs > 0 ? ProcessInfo::State::Stopped : ProcessInfo::State::Crashed;
        how = -info.signal;
    } else {
        info.exitCode = WEXITSTATUS(waitStatus);
        info.state = ProcessInfo::State::Exited;
        how = info.exitCode;
    }
    if (!p.hasLane) // past the run's lanes: counted in the results, not in the table
        return;
    for (Lane& lane : m_lanes) {
        if (lane.pid != info.pid)
            continue;
        if (lane.worker == info.worker) { // the process's lane carries its death, however its thread ended
            lane.ended = false;
            endLane(lane, EventKind::Exited, how, true);
        } else if (lane.slot && lane.slot->state.load() == abi::SlotState::Ended) {
            lane.ended = true; // the thread said Finished before the process ended
        } else {
            endLane(lane, EventKind::Exited, how);
        }
    }
    m_ctx.setProcess(info);
    if (info.pid == m_root)
        m_owner.m_program = info;
}

void TracedProgram::Session::stopProgram()
{
    const std::int64_t now = clock::monotonicNs();
    const auto signalAll = [&](int signo) {
        for (auto& [pid, p] : m_processes)
            if (!p.info.ended() && !(pid == m_root && m_rootReaped))
                ::kill(pid_t(pid), signo);
    };
    if (m_stopSentNs == 0) {
        m_stopSentNs = now;
        signalAll(SIGTERM);
    } else if (!m_killed && now - m_stopSentNs > std::int64_t(kStopGraceMs) * 1'000'000) {
        m_killed = true;
        signalAll(SIGKILL);
    }
}

bool TracedProgram::Session::finished() const
{
    if (!m_rootReaped)
        return false;
    return std::all_of(m_processes.begin(), m_processes.end(), [](const auto& p) { return p.second.info.ended(); });
}

void TracedProgram::Session::report()
{
    const abi::ArenaHeader& header = m_arena->view().header();
    qint64 threadsSeenByLibrary = 0;
    QStringList withoutLibrary;
    for (const auto& [pid, p] : m_processes) {
        const bool anySlot = std::any_of(
            m_lanes.begin(), m_lanes.end(), [pid = pid](const Lane& l) { return l.pid == pid && l.slot; });
        if (!anySlot)
            withoutLibrary << QStringLiteral("%1 (pid %2)").arg(p.info.name).arg(pid);
    }
    for (const Lane& lane : m_lanes)
        threadsSeenByLibrary += lane.slot != nullptr;
    const ProcessInfo& program = m_owner.m_program;
    m_ctx.setResult(QStringLiteral("program"), m_owner.m_request.command.join(u' '));
    if (program.state == ProcessInfo::State::Exited)
        m_ctx.setResult(QStringLiteral("exit_code"), program.exitCode);
    else if (program.signal != 0)
        m_ctx.setResult(QStringLiteral("signal"), signalName(program.signal));
    m_ctx.setResult(QStringLiteral("processes"), qint64(m_processes.size()));
    m_ctx.setResult(QStringLiteral("threads"), qint64(m_lanes.size()));
    m_ctx.setResult(QStringLiteral("threads_with_lock_detail"), threadsSeenByLibrary);
    m_ctx.setResult(QStringLiteral("locks"), qint64(m_locksSeen));
    m_ctx.setResult(QStringLiteral("threads_without_slot"), qint64(header.threadsWithoutSlot.load()));
    // CPython's GIL: a lock named GIL where the interpreter is one the tracee knows (3.11), else said here.
    const std::uint32_t gil = header.pythonGil.load();
    if (gil & abi::kGilUnknownPython)
        m_ctx.setResult(QStringLiteral("python_gil"),
            QStringLiteral("this Python's GIL is not one ThreadLab knows (only CPython 3.11's): its mutexes are "
                           "drawn as ordinary locks"));
    else if (gil & abi::kGilTracked)
        m_ctx.setResult(QStringLiteral("python_gil"), QStringLiteral("the lock GIL"));
    if (const QString option = pythonOptionWithoutNames(m_owner.m_request.command); gil && !option.isEmpty())
        m_ctx.setResult(QStringLiteral("python_thread_names"),
            QStringLiteral("missing: python %1 never runs the sitecustomize.py (on PYTHONPATH) that names the threads")
                .arg(option));
    m_ctx.setResult(QStringLiteral("tracee_library"), m_library.isEmpty() ? m_libraryMissing : m_library);
    if (!withoutLibrary.isEmpty())
        m_ctx.setResult(QStringLiteral("without_lock_detail"), withoutLibrary.join(QStringLiteral(", ")));
    if (!m_unshown.empty())
        m_ctx.setResult(QStringLiteral("threads_without_lane"), qint64(m_unshown.size()));
    if (m_stopSentNs > 0)
        m_ctx.setResult(QStringLiteral("stopped_with"),
            m_killed ? QStringLiteral("SIGTERM, then SIGKILL after %1 s").arg(kStopGraceMs / 1000)
                     : QStringLiteral("SIGTERM"));
}

TracedProgram::TracedProgram(TraceRequest request)
    : m_request(std::move(request))
{
    m_program.name = m_request.command.isEmpty() ? QString() : QFileInfo(m_request.command.first()).fileName();
}

TracedProgram::~TracedProgram() = default;

void TracedProgram::run(RunContext& ctx)
{
    Session session(*this, ctx);
    try {
        session.run();
    } catch (...) {
        session.abandon(); // nothing of the program outlives a trace that failed
        throw;
    }
}

void TracedProgram::signal(int signo)
{
    // Kept until the program's pid is known (the program may have printed its first line before the thread
    // that forked it got back from fork()), and sent once, by whichever side sees the other's part.
    m_pendingSignal.store(signo);
    if (const std::int64_t pid = m_pid.load(); pid > 0)
        if (const int pending = m_pendingSignal.exchange(0))
            ::kill(pid_t(pid), pending);
}

} // namespace tl
