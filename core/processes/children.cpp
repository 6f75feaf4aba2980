#include "children.h"

#include "../run/runcontext.h"
#include "../sync/lockregistry.h"
#include "childblock.h"
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
#include <csignal>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace tl {

namespace {
constexpr int kPollMs = 10;
// How long children get to end after a stop's SIGTERM before they are killed.
constexpr std::int64_t kTerminateGraceNs = 500'000'000;
constexpr std::int64_t kCpuSampleEveryNs = 100'000'000;
constexpr std::size_t kMaxDescriptors = 8; // ChildSpec::descriptors; the child-side copy is a fixed array
}

struct Children::Child {
    ChildSpec spec;
    std::shared_ptr<SharedSegment> segment;
    ChildBlock* block = nullptr;
    std::unique_ptr<QProcess> process;
    ProcessInfo info;
    QByteArray output;
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

Children::Children(RunContext& ctx, QString scenario)
    : m_ctx(ctx)
    , m_scenario(std::move(scenario))
{
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
        if (child->process->state() != QProcess::NotRunning) {
            child->process->kill();
            child->process->waitForFinished(-1);
        }
    }
}

int Children::start(const ChildSpec& spec)
{
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
    m_ctx.setProcess(child->info);

    child->process = std::make_unique<QProcess>();
    QProcess& p = *child->process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // The segment key stays out of the command line, which every user on the machine can read.
    env.insert(QStringLiteral("THREADLAB_CHILD_SEGMENT"), child->segment->key());
    env.insert(QStringLiteral("THREADLAB_PARENT_PID"), QString::number(getpid()));
    env.insert(QStringLiteral("THREADLAB_SHARED_KEYS"), spec.sharedKeys.join(u' '));
    p.setProcessEnvironment(env);
    p.setProgram(executable());
    p.setArguments(QStringList { QStringLiteral("--child"), m_scenario, spec.role } + spec.args);
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    if (spec.descriptors.size() > kMaxDescriptors)
        throw std::logic_error("a child inherits at most " + std::to_string(kMaxDescriptors) + " descriptors");
    // Runs in the child between fork and exec: async-signal-safe calls only. The signal mask survives exec,
    // and ThreadLab blocks its stop signals in every thread (main.cpp): the child gets an empty one back, or
    // a stop's SIGTERM would never reach it. Every descriptor source is first copied above the targets, so a
    // target number that is also another source is never overwritten.
    p.setChildProcessModifier([descriptors = spec.descriptors] {
        sigset_t none;
        sigemptyset(&none);
        ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
        constexpr int kAboveTargets = 64;
        int copies[kMaxDescriptors];
        for (std::size_t i = 0; i < descriptors.size(); ++i)
            copies[i] = ::fcntl(descriptors[i].first, F_DUPFD_CLOEXEC, kAboveTargets);
        for (std::size_t i = 0; i < descriptors.size(); ++i)
            ::dup2(copies[i], descriptors[i].second); // the target does not close on exec
    });
    Child* raw = child.get();
    QObject::connect(
        &p, &QProcess::readyReadStandardOutput, &p, [raw] { raw->output += raw->process->readAllStandardOutput(); });
    QObject::connect(&p, &QProcess::finished, &p, [this, raw] { update(*raw); });
    QObject::connect(&p, &QProcess::errorOccurred, &p, [this, raw](QProcess::ProcessError) { update(*raw); });
    // The lane starts at the spawn: exec and start-up are the child's time too. The parent writes into the
    // child's ring only before the fork and after the child is gone, so the ring keeps one writer at a time.
    Recorder& lane = m_ctx.recorder(worker);
    const std::uint64_t spawnAt = clock::ticks();
    lane.recordStamped(spawnAt, EventKind::Started);
    // The kernel follows the child once its PID is known, after the fork and the exec: until its first switch
    // record, whether the child has a CPU is unknown, and the lane says so (as where the kernel's records
    // were lost) instead of drawing fork, exec and start-up as running on the CPU the parent is using.
    if (m_ctx.followsContextSwitches())
        lane.recordStamped(spawnAt, EventKind::SwitchOut, kSwitchRecordsMayStop);
    p.start();
    if (!p.waitForStarted(10'000)) {
        child->info.state = ProcessInfo::State::FailedToStart;
        m_ctx.setProcess(child->info);
        // Qt reports a missing program as a permission problem ("execve: Permission denied" when it tried
        // every way in): the file system says what is really wrong.
        const QFileInfo program(executable());
        const QString why = !program.exists()              ? QStringLiteral("no such file")
            : !program.isFile() || !program.isExecutable() ? QStringLiteral("not an executable file")
                                                           : p.errorString();
        throw std::runtime_error(
            QStringLiteral("cannot start child process %1 (%2): %3").arg(spec.name, executable(), why).toStdString());
    }
    child->info.pid = p.processId();
    child->info.state = ProcessInfo::State::Running;
    m_ctx.setWorkerProcess(worker, child->info.pid);
    m_ctx.setProcess(child->info);
    if (!spec.input.isEmpty())
        p.write(spec.input);
    p.closeWriteChannel(); // after the queued input is written; the child then sees end of file
    m_children.push_back(std::move(child));
    return int(m_children.size() - 1);
}

void Children::update(Child& child)
{
    ProcessInfo& info = child.info;
    const QProcess& p = *child.process;
    if (p.state() == QProcess::NotRunning && !info.ended()) {
        if (p.error() == QProcess::FailedToStart) {
            info.state = ProcessInfo::State::FailedToStart;
        } else if (p.exitStatus() == QProcess::CrashExit) {
            // Qt reports the terminating signal as the exit code of a crashed process.
            info.signal = p.exitCode();
            info.state = child.stopping ? ProcessInfo::State::Stopped : ProcessInfo::State::Crashed;
        } else {
            info.exitCode = p.exitCode();
            info.state = ProcessInfo::State::Exited;
        }
        // The lane ends where the process did, with what ended it.
        const std::int32_t how = info.state == ProcessInfo::State::Exited ? std::int32_t(info.exitCode)
            : info.state == ProcessInfo::State::FailedToStart             ? kNeverStarted
                                                                          : -std::int32_t(info.signal);
        m_ctx.recorder(info.worker).record(EventKind::Exited, how);
        const std::int64_t reported = child.block->cpuNs.load(std::memory_order_relaxed);
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
            child->process->terminate();
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
                child->process->kill();
    if (killOne && !m_killedOne) {
        // The most recently started child still running: with a server started first, a client.
        const auto victim
            = std::find_if(m_children.rbegin(), m_children.rend(), [](const auto& c) { return !c->info.ended(); });
        if (victim != m_children.rend())
            (*victim)->process->kill();
        m_killedOne = true;
    }
    if (m_ctx.stopRequested())
        stopAll();
    if (m_stopping && clock::monotonicNs() > m_stopDeadlineNs)
        for (auto& child : m_children)
            if (!child->info.ended())
                child->process->kill();
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
        child->output += child->process->readAllStandardOutput();
        update(*child);
    }
}

ProcessInfo Children::info(int child) const
{
    return m_children.at(std::size_t(child))->info;
}

QJsonObject Children::report(int child) const
{
    const QByteArray output = m_children.at(std::size_t(child))->output.trimmed();
    const QByteArray lastLine = output.mid(output.lastIndexOf('\n') + 1);
    return QJsonDocument::fromJson(lastLine).object();
}

std::int64_t Children::gauge(int child) const
{
    return m_children.at(std::size_t(child))->block->gauge.load(std::memory_order_relaxed);
}

ParamSpec Children::killOneParam()
{
    return ParamSpec::boolean(QStringLiteral("kill_one"), false,
        QStringLiteral("Kill one child with SIGKILL once all have started: it is shown as crashed, the others "
                       "finish and the run carries on"));
}

} // namespace tl
