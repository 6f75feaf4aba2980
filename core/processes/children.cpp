#include "children.h"

#include "../run/runcontext.h"
#include "../sync/lockregistry.h"
#include "../trace/systemerror.h"
#include "childblock.h"
#include "childcontext.h"
#include "procfs.h"
#include "sharedsegment.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTimer>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace tl {

namespace {
constexpr int kPollMs = 10;
// How long children get to end after a stop's SIGTERM before they are killed.
constexpr std::int64_t kTerminateGraceNs = 500'000'000;
constexpr std::int64_t kCpuSampleEveryNs = 100'000'000;
constexpr std::size_t kMaxDescriptors = 8; // ChildSpec::descriptors; the child-side copy is a fixed array
// A forked child whose parent died before it could ask to die with it.
constexpr int kOrphaned = 70;

// Gives a child the descriptors it is to have and no other: each (source, target) pair's source appears
// under the target number; every descriptor above 2 that is not a target is closed (a forked child would
// otherwise hold the parent's pipe ends and keep a reader from ever seeing end of file). Async-signal-safe.
// Every source is first copied above all targets, so a target that is also another source is never lost.
void arrangeDescriptors(const std::pair<int, int>* pairs, std::size_t n, bool closeOthers)
{
    int highest = STDERR_FILENO;
    for (std::size_t i = 0; i < n; ++i)
        highest = std::max(highest, pairs[i].second);
    int copies[kMaxDescriptors + 2];
    for (std::size_t i = 0; i < n; ++i)
        copies[i] = ::fcntl(pairs[i].first, F_DUPFD_CLOEXEC, highest + 1);
    for (std::size_t i = 0; i < n; ++i)
        ::dup2(copies[i], pairs[i].second); // the target does not close on exec
    if (!closeOthers)
        return;
    for (int fd = STDERR_FILENO + 1; fd <= highest; ++fd)
        if (std::none_of(pairs, pairs + n, [fd](const auto& p) { return p.second == fd; }))
            ::close(fd);
    ::close_range(unsigned(highest) + 1, ~0U, 0);
}

// The forked child, from its first instruction to _exit(): it never returns into the caller's frames (in a
// test binary, QTest's). Only the forking thread exists here, and the others' locks are frozen as they were
// at fork() time, so this code takes none of ours and uses no Qt event loop, QProcess or message handler
// (qDebug): glibc resets its malloc and stdio locks in the child. Signals are made the child's own: none
// blocked (ThreadLab blocks its stop signals in every thread), a crash ends it by the signal (not by a test
// framework's handler it inherited), a terminal's Ctrl+C is left to ThreadLab as for a spawned child.
[[noreturn]] void runForked(ChildBlock& block, Recorder& recorder, ChildContext& context, const ChildMain& main,
    const QString& role, pid_t parent, const std::pair<int, int>* pairs, std::size_t n)
{
    ChildContext::reportForDuty(block, recorder);
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    for (const int signo : { SIGTERM, SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGCHLD })
        ::signal(signo, SIG_DFL);
    for (const int signo : { SIGINT, SIGHUP, SIGPIPE })
        ::signal(signo, SIG_IGN);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        ::_exit(kOrphaned);
    arrangeDescriptors(pairs, n, true);
    int code = 1;
    try {
        code = context.finish(main(role, context));
    } catch (const std::exception& e) {
        const QByteArray text = "threadlab child (" + role.toUtf8() + "): " + e.what() + '\n';
        [[maybe_unused]] const auto written = ::write(STDERR_FILENO, text.constData(), std::size_t(text.size()));
    } catch (...) {
    }
    ::_exit(code);
}
}

struct Children::Child {
    ChildSpec spec;
    std::shared_ptr<SharedSegment> segment;
    ChildBlock* block = nullptr;
    std::unique_ptr<QProcess> process; // spawned
    pid_t pid = 0; // forked: ours to reap
    int output = -1; // forked: the read end of its standard output
    std::int64_t startedAtNs = 0; // just before the fork or the spawn
    ProcessInfo info;
    QByteArray report;
    bool stopping = false;
};

QString Children::executable()
{
    QString overridden = qEnvironmentVariable("THREADLAB_CHILD_EXE");
    if (!overridden.isEmpty())
        return overridden;
    return QCoreApplication::instance() ? QCoreApplication::applicationFilePath()
                                        : QFile::symLinkTarget(QStringLiteral("/proc/self/exe"));
}

Children::Children(RunContext& ctx, QString scenario, StartMethod start, ChildMain main)
    : m_ctx(ctx)
    , m_scenario(std::move(scenario))
    , m_start(start)
    , m_main(std::move(main))
{
    if (m_start == StartMethod::Fork && !m_main)
        throw std::logic_error("a forked child needs the code it runs");
    m_parent.worker = m_ctx.addWorker(QStringLiteral("MainProcess"));
    m_ctx.followCurrentThread(m_parent.worker); // the run's thread records this lane
    // Writing to a child that has died fails with EPIPE instead of killing ThreadLab (Qt's QProcess does
    // the same when it starts one, but scenarios write to their own pipes and sockets too).
    ::signal(SIGPIPE, SIG_IGN);
    m_parent.pid = getpid();
    m_parent.ppid = getppid();
    m_parent.name = QStringLiteral("ThreadLab");
    m_parent.params = QStringLiteral("(the parent)");
    m_parent.state = ProcessInfo::State::Running;
    m_ctx.setProcess(m_parent);
}

Children::~Children()
{
    for (auto& child : m_children) {
        if (child->process && child->process->state() != QProcess::NotRunning) {
            child->process->kill();
            child->process->waitForFinished(-1);
        }
        if (child->pid > 0) {
            ::kill(child->pid, SIGKILL);
            while (::waitpid(child->pid, nullptr, 0) < 0 && errno == EINTR) { }
        }
        if (child->output >= 0)
            ::close(child->output);
    }
}

int Children::start(const ChildSpec& spec)
{
    if (spec.descriptors.size() > kMaxDescriptors)
        throw std::logic_error("a child inherits at most " + std::to_string(kMaxDescriptors) + " descriptors");
    auto child = std::make_unique<Child>();
    child->spec = spec;
    child->segment = SharedSegment::create(QStringLiteral("child"), qsizetype(ChildBlock::bytes()));
    child->block = new (child->segment->data()) ChildBlock;
    const std::uint32_t worker = m_ctx.addWorkerIn(QStringLiteral("MainThread"), spec.name,
        child->block->recorderMemory(), ChildBlock::kRecorderEvents, child->segment);

    child->info.worker = worker;
    child->info.name = spec.name;
    child->info.ppid = getpid();
    child->info.params = spec.shownParams.isEmpty() ? spec.args.join(u' ') : spec.shownParams;
    child->info.start = startName(m_start);
    m_ctx.setProcess(child->info);

    // The lane starts at the fork or spawn: start-up is the child's time too. The parent writes into the
    // child's ring only before the child exists and after it is gone, so the ring keeps one writer at a time.
    Recorder& lane = m_ctx.recorder(worker);
    const std::uint64_t spawnAt = clock::ticks();
    lane.recordStamped(spawnAt, EventKind::Started);
    // The kernel follows the child once its PID is known, after the fork (and the exec): until its first
    // switch record, whether the child has a CPU is unknown, and the lane says so (as where the kernel's
    // records were lost) instead of drawing its start-up as running on the CPU the parent is using.
    if (m_ctx.followsContextSwitches())
        lane.recordStamped(spawnAt, EventKind::SwitchOut, kSwitchRecordsMayStop);
    child->startedAtNs = clock::monotonicNs();
    if (m_start == StartMethod::Fork)
        fork(*child);
    else
        spawn(*child);
    child->info.state = ProcessInfo::State::Running;
    m_ctx.setWorkerProcess(worker, child->info.pid);
    m_ctx.setProcess(child->info);
    m_children.push_back(std::move(child));
    return int(m_children.size() - 1);
}

void Children::fork(Child& child)
{
    const ChildSpec& spec = child.spec;
    int out[2] = { -1, -1 };
    if (::pipe2(out, O_CLOEXEC) != 0)
        throw std::runtime_error("cannot fork child process " + spec.name.toStdString() + ": no pipe for its output ("
            + systemErrorText(errno) + ")");
    // Everything the child uses is made here, before the fork: it inherits these objects as they are.
    // (The run's registries are behind a mutex another thread may hold at fork() time: the recorder is
    // looked up here, never in the child.)
    Recorder& recorder = m_ctx.recorder(child.info.worker);
    ChildContext context(spec.args, *child.block, recorder);
    context.inherit(spec.input, spec.sharedKeys);
    const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    std::pair<int, int> pairs[kMaxDescriptors + 2] = { { devNull, STDIN_FILENO }, { out[1], STDOUT_FILENO } };
    std::copy(spec.descriptors.begin(), spec.descriptors.end(), pairs + 2);
    const std::size_t n = 2 + spec.descriptors.size();
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0)
        runForked(*child.block, recorder, context, m_main, spec.role, parent, pairs, n);
    const int forkError = errno;
    ::close(out[1]);
    if (devNull >= 0)
        ::close(devNull);
    if (pid < 0) {
        ::close(out[0]);
        child.info.state = ProcessInfo::State::FailedToStart;
        m_ctx.setProcess(child.info);
        throw std::runtime_error(
            "cannot fork child process " + spec.name.toStdString() + ": " + systemErrorText(forkError));
    }
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    child.pid = pid;
    child.output = out[0];
    child.info.pid = pid;
}

void Children::spawn(Child& child)
{
    const ChildSpec& spec = child.spec;
    child.process = std::make_unique<QProcess>();
    QProcess& p = *child.process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // The segment key stays out of the command line, which every user on the machine can read.
    env.insert(QStringLiteral("THREADLAB_CHILD_SEGMENT"), child.segment->key());
    env.insert(QStringLiteral("THREADLAB_PARENT_PID"), QString::number(getpid()));
    env.insert(QStringLiteral("THREADLAB_SHARED_KEYS"), spec.sharedKeys.join(u' '));
    p.setProcessEnvironment(env);
    p.setProgram(executable());
    p.setArguments(QStringList { QStringLiteral("--child"), m_scenario, spec.role } + spec.args);
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    // Runs in the child between fork and exec: async-signal-safe calls only. The signal mask survives exec,
    // and ThreadLab blocks its stop signals in every thread (main.cpp): the child gets an empty one back, or
    // a stop's SIGTERM would never reach it. The other descriptors close on exec.
    p.setChildProcessModifier([descriptors = spec.descriptors] {
        sigset_t none;
        sigemptyset(&none);
        ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
        arrangeDescriptors(descriptors.data(), descriptors.size(), false);
    });
    Child* raw = &child;
    QObject::connect(
        &p, &QProcess::readyReadStandardOutput, &p, [raw] { raw->report += raw->process->readAllStandardOutput(); });
    QObject::connect(&p, &QProcess::finished, &p, [this, raw] { update(*raw); });
    QObject::connect(&p, &QProcess::errorOccurred, &p, [this, raw](QProcess::ProcessError) { update(*raw); });
    p.start();
    if (!p.waitForStarted(10'000)) {
        child.info.state = ProcessInfo::State::FailedToStart;
        m_ctx.setProcess(child.info);
        // Qt reports a missing program as a permission problem ("execve: Permission denied" when it tried
        // every way in): the file system says what is really wrong.
        const QFileInfo program(executable());
        const QString why = !program.exists()              ? QStringLiteral("no such file")
            : !program.isFile() || !program.isExecutable() ? QStringLiteral("not an executable file")
                                                           : p.errorString();
        throw std::runtime_error(
            QStringLiteral("cannot start child process %1 (%2): %3").arg(spec.name, executable(), why).toStdString());
    }
    child.info.pid = p.processId();
    if (!spec.input.isEmpty())
        p.write(spec.input);
    p.closeWriteChannel(); // after the queued input is written; the child then sees end of file
}

void Children::signalChild(Child& child, int signo)
{
    if (child.process)
        signo == SIGKILL ? child.process->kill() : child.process->terminate();
    else if (child.pid > 0)
        ::kill(child.pid, signo);
}

namespace {
// How a process ended, from QProcess or from waitpid(): an exit code, or the signal that ended it.
void setEnded(ProcessInfo& info, bool signalled, int codeOrSignal, bool stopping)
{
    if (signalled) {
        info.signal = codeOrSignal;
        info.state = stopping ? ProcessInfo::State::Stopped : ProcessInfo::State::Crashed;
    } else {
        info.exitCode = codeOrSignal;
        info.state = ProcessInfo::State::Exited;
    }
}

// Appends what can be read from a non-blocking descriptor now; false once it reached end of file.
bool readAvailable(int fd, QByteArray& into)
{
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0)
            into.append(buffer, n);
        else if (n == 0)
            return false;
        else if (errno != EINTR)
            return true; // EAGAIN: nothing more for now
    }
}
}

void Children::update(Child& child)
{
    ProcessInfo& info = child.info;
    const bool wasEnded = info.ended();
    if (!wasEnded && child.process && child.process->state() == QProcess::NotRunning) {
        const QProcess& p = *child.process;
        if (p.error() == QProcess::FailedToStart)
            info.state = ProcessInfo::State::FailedToStart;
        else // Qt reports the terminating signal as the exit code of a crashed process
            setEnded(info, p.exitStatus() == QProcess::CrashExit, p.exitCode(), child.stopping);
    }
    int status = 0;
    if (!wasEnded && child.pid > 0 && ::waitpid(child.pid, &status, WNOHANG) == child.pid) {
        child.pid = 0; // reaped: the number may be another process's from now on
        const bool signalled = WIFSIGNALED(status);
        setEnded(info, signalled, signalled ? WTERMSIG(status) : WEXITSTATUS(status), child.stopping);
    }
    // A forked child's output: all it wrote before it ended is in the pipe by now.
    if (child.output >= 0 && (!readAvailable(child.output, child.report) || info.ended())) {
        ::close(child.output);
        child.output = -1;
    }
    const ChildBlock& block = *child.block;
    const std::int64_t startedNs = block.startedNs.load(std::memory_order_relaxed);
    if (info.startNs < 0 && startedNs > 0)
        info.startNs = startedNs - child.startedAtNs;
    info.copiedBytes = block.copiedBytes.load(std::memory_order_relaxed);
    if (!wasEnded && info.ended()) {
        // The lane ends where the process did, with what ended it.
        const std::int32_t how = info.state == ProcessInfo::State::Exited ? std::int32_t(info.exitCode)
            : info.state == ProcessInfo::State::FailedToStart             ? kNeverStarted
                                                                          : -std::int32_t(info.signal);
        Recorder& lane = m_ctx.recorder(info.worker);
        lane.takeOverFromDeadWriter(); // a child killed while it recorded left its last event half-written
        lane.record(EventKind::Exited, how);
        const std::int64_t reported = block.cpuNs.load(std::memory_order_relaxed);
        if (reported > 0)
            info.cpuNs = reported;
    }
    m_ctx.setProcess(info);
}

void Children::service(bool killOne)
{
    QCoreApplication::processEvents();
    poll(killOne);
}

void Children::stopAll()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_stopDeadlineNs = clock::monotonicNs() + kTerminateGraceNs;
    for (auto& child : m_children) {
        if (!child->info.ended()) {
            child->stopping = true;
            signalChild(*child, SIGTERM);
        }
    }
}

bool Children::ended(int from, int to) const
{
    return std::all_of(
        m_children.begin() + from, m_children.begin() + to, [](const auto& c) { return c->info.ended(); });
}

void Children::poll(bool killOne)
{
    for (const std::int64_t pid : m_ctx.takeKillRequests())
        for (auto& child : m_children)
            if (child->info.pid == pid && !child->info.ended())
                signalChild(*child, SIGKILL);
    if (killOne && !m_killedOne) {
        // The most recently started child still running: with a server started first, a client.
        const auto victim
            = std::find_if(m_children.rbegin(), m_children.rend(), [](const auto& c) { return !c->info.ended(); });
        if (victim != m_children.rend())
            signalChild(**victim, SIGKILL);
        m_killedOne = true;
    }
    if (m_ctx.stopRequested())
        stopAll();
    if (m_stopping && clock::monotonicNs() > m_stopDeadlineNs)
        for (auto& child : m_children)
            if (!child->info.ended())
                signalChild(*child, SIGKILL);
    for (auto& child : m_children)
        update(*child);

    // CPU times for the table cost a /proc read per process: a few times a second is plenty.
    const std::int64_t now = clock::monotonicNs();
    if (now - m_cpuSampledNs < kCpuSampleEveryNs)
        return;
    m_cpuSampledNs = now;
    for (auto& child : m_children) {
        if (!child->info.ended()) {
            child->info.cpuNs = std::max(child->info.cpuNs, processCpuNs(child->info.pid));
            m_ctx.setProcess(child->info);
        }
    }
    m_parent.cpuNs = processCpuNs(m_parent.pid);
    m_ctx.setProcess(m_parent);
}

bool Children::runEventLoop(bool killOne, const std::function<bool()>& done)
{
    QEventLoop loop;
    QTimer timer;
    bool reached = false;
    auto check = [&] {
        poll(killOne);
        reached = done && done();
        if (reached || ended(0, count()))
            loop.quit();
    };
    QObject::connect(&timer, &QTimer::timeout, &loop, check);
    timer.start(kPollMs);
    check();
    if (!reached && !ended(0, count()))
        loop.exec();
    return reached;
}

bool Children::waitUntil(const std::function<bool()>& done, bool killOne)
{
    return runEventLoop(killOne, done);
}

void Children::waitForAll(bool killOne)
{
    runEventLoop(killOne, nullptr);
    for (auto& child : m_children) {
        if (child->process)
            child->report += child->process->readAllStandardOutput();
        update(*child);
    }
}

ProcessInfo Children::info(int child) const
{
    return m_children.at(std::size_t(child))->info;
}

QJsonObject Children::report(int child) const
{
    const QByteArray output = m_children.at(std::size_t(child))->report.trimmed();
    const QByteArray lastLine = output.mid(output.lastIndexOf('\n') + 1);
    return QJsonDocument::fromJson(lastLine).object();
}

std::int64_t Children::gauge(int child) const
{
    return m_children.at(std::size_t(child))->block->gauge.load(std::memory_order_relaxed);
}

ParamSpec Children::startParam()
{
    return ParamSpec::choice(QStringLiteral("start"), { startName(StartMethod::Fork), startName(StartMethod::Spawn) },
        int(StartMethod::Fork),
        QStringLiteral("How a child starts. fork: a copy of ThreadLab at this point, which inherits its memory "
                       "copy-on-write (the arguments are not copied), as Python does on Linux. spawn: a fresh "
                       "ThreadLab program, to which the arguments are copied through a pipe (Python's default "
                       "on Windows and macOS)"));
}

QString Children::startName(StartMethod start)
{
    return start == StartMethod::Fork ? QStringLiteral("fork") : QStringLiteral("spawn");
}

ParamSpec Children::killOneParam()
{
    return ParamSpec::boolean(QStringLiteral("kill_one"), false,
        QStringLiteral("Kill one child with SIGKILL once all have started: it is shown as crashed, the others "
                       "finish and the run carries on"));
}

} // namespace tl
