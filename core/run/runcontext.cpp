#include "runcontext.h"

#include <QJsonArray>
#include <algorithm>
#include <cstdlib>
#include <new>
#include <pthread.h>
#include <stdexcept>
#include <sys/resource.h>
#include <system_error>
#include <unistd.h>

namespace tl {

namespace {
// THREADLAB_RING_EVENTS=N gives every in-process worker a fixed recorder of N events, as a child process
// has, and THREADLAB_CHUNK_EVENTS=N growing recorders N-event chunks: seams for tests that need losses
// where the collector falls behind, or many chunk hand-overs.
std::size_t forcedEvents(const char* name)
{
    // qgetenv: Qt's setters and getters of the environment share a lock; getenv() takes none.
    const QByteArray forced = qgetenv(name);
    return forced.isNull() ? 0 : std::size_t(std::strtoull(forced.constData(), nullptr, 10));
}
}

RunContext::RunContext(const ParamSet& params)
    : m_params(params)
    , m_budget(RecordingBudget::chosenBytes())
{
    for (int i = 0; i < params.specs().size(); ++i)
        m_values.push_back(std::make_unique<std::atomic<std::int64_t>>(params.value(i)));
}

RunContext::~RunContext() = default;

const std::atomic<std::int64_t>& RunContext::param(const QString& name) const
{
    const int i = m_params.indexOf(name);
    if (i < 0)
        throw std::logic_error("scenario asked for an undeclared parameter: " + name.toStdString());
    return *m_values[std::size_t(i)];
}

bool RunContext::setLive(const QString& name, std::int64_t value, QString* error)
{
    const int i = m_params.indexOf(name);
    if (i < 0 || !m_params.specs()[i].live) {
        if (error)
            *error = QStringLiteral("%1 cannot change while running").arg(name);
        return false;
    }
    const auto& spec = m_params.specs()[i];
    if (value < spec.min || value > spec.max) {
        if (error)
            *error = QStringLiteral("invalid value for %1: expected %2").arg(name, spec.validValues());
        return false;
    }
    m_values[std::size_t(i)]->store(value, std::memory_order_relaxed);
    return true;
}

std::uint32_t RunContext::addWorker(const QString& name, const QString& group)
{
    // Workers are added by the scenario's thread only, so the id cannot change between the two locks; the
    // recorder is built outside the lock the counter sampler also takes.
    std::uint32_t id = 0;
    {
        std::lock_guard lock(m_mutex);
        id = std::uint32_t(m_recorders.size());
    }
    const std::size_t ringEvents = forcedEvents("THREADLAB_RING_EVENTS");
    const std::size_t chunkEvents = forcedEvents("THREADLAB_CHUNK_EVENTS");
    auto recorder = ringEvents > 0
        ? Recorder::create(id, ringEvents)
        : Recorder::create(id, m_budget, chunkEvents > 0 ? chunkEvents : Recorder::kGrowingChunkEvents);
    std::lock_guard lock(m_mutex);
    addWorkerLocked(name, group, recorder.get());
    m_ownRecorders.push_back(std::move(recorder));
    return id;
}

std::uint32_t RunContext::addWorkerIn(
    const QString& name, const QString& group, void* memory, std::size_t capacity, std::shared_ptr<void> storage)
{
    std::lock_guard lock(m_mutex);
    const auto id = std::uint32_t(m_recorders.size());
    addWorkerLocked(name, group, Recorder::createIn(memory, id, capacity));
    m_recorderStorage.push_back(std::move(storage));
    return id;
}

void RunContext::addWorkerLocked(const QString& name, const QString& group, Recorder* recorder)
{
    if (m_recorders.size() >= kMaxWorkers)
        throw std::runtime_error("too many workers (at most " + std::to_string(kMaxWorkers) + ")");
    m_workerTimes.reserve(m_recorders.size() + 1); // nothing below may fail once the recorder is listed
    m_recorders.push_back(recorder);
    m_workerTimes.emplace_back(-1, -1);
    m_switches.emplace_back();
    m_followedTids.push_back(0);
    m_workers.push_back({ name, group.isEmpty() ? QStringLiteral("ThreadLab") : group, getpid(), 0 });
}

void RunContext::setWorkerProcess(std::uint32_t worker, std::int64_t pid)
{
    {
        std::lock_guard lock(m_mutex);
        m_workers.at(worker).pid = pid;
        m_workers.at(worker).tid = pid; // a child process runs its part on its main thread
    }
    follow(worker, pid_t(pid));
}

std::uint32_t RunContext::addWorkerAttached(
    const QString& name, const QString& group, Recorder& recorder, std::shared_ptr<void> storage)
{
    std::lock_guard lock(m_mutex);
    const auto id = std::uint32_t(m_recorders.size());
    recorder.assignWorker(id);
    addWorkerLocked(name, group, &recorder);
    m_recorderStorage.push_back(std::move(storage));
    return id;
}

void RunContext::setWorkerThread(std::uint32_t worker, std::int64_t pid, std::int64_t tid)
{
    {
        std::lock_guard lock(m_mutex);
        m_workers.at(worker).pid = pid;
        m_workers.at(worker).tid = tid;
    }
    follow(worker, pid_t(tid));
}

void RunContext::renameWorker(std::uint32_t worker, const QString& name)
{
    std::lock_guard lock(m_mutex);
    m_workers.at(worker).name = name;
}

void RunContext::follow(std::uint32_t worker, pid_t tid)
{
    const pid_t target = tid == 0 ? gettid() : tid;
    {
        std::lock_guard lock(m_mutex);
        // The lane's thread bound again (a parent's lane, followed from the start and then run as a worker;
        // a pool thread given the same lane's next task): its records go on uninterrupted, where following
        // it anew would miss the switches in between.
        if (m_switches.at(worker) && m_followedTids.at(worker) == target)
            return;
        // The thread this lane had before is done with it; its last records are read once more, then let
        // go. The lane's previous thread may live on a while (a pool's thread exiting): its switches from now
        // on are not the lane's, and read after the new thread's they would be merged out of order. So it
        // stops before the new one starts.
        if (auto& before = m_switches.at(worker)) {
            before->stop();
            m_leftSwitches.emplace_back(worker, std::move(before));
        }
    }
    // Opening the kernel's records and mapping their ring takes milliseconds on a busy machine: not under the
    // lock the counter sampler takes every 10 ms.
    QString why;
    auto switches = ContextSwitches::follow(tid, &why);
    std::lock_guard lock(m_mutex);
    m_followedTids.at(worker) = target;
    m_switches.at(worker) = std::move(switches);
    m_anyFollowed = m_anyFollowed || m_switches[worker];
    if (!m_switches[worker] && m_switchesRefused.isEmpty())
        m_switchesRefused = why;
}

std::vector<std::pair<std::uint32_t, ContextSwitches*>> RunContext::contextSwitches(std::size_t* left) const
{
    std::lock_guard lock(m_mutex);
    *left = m_leftSwitches.size();
    std::vector<std::pair<std::uint32_t, ContextSwitches*>> all;
    for (const auto& [worker, s] : m_leftSwitches)
        all.emplace_back(worker, s.get());
    for (std::uint32_t w = 0; w < m_switches.size(); ++w)
        if (m_switches[w])
            all.emplace_back(w, m_switches[w].get());
    return all;
}

void RunContext::forgetLeftSwitches(std::size_t n)
{
    std::lock_guard lock(m_mutex);
    m_leftSwitches.erase(m_leftSwitches.begin(), m_leftSwitches.begin() + std::ptrdiff_t(n));
}

void RunContext::setProcess(const ProcessInfo& info)
{
    std::lock_guard lock(m_mutex);
    auto row = std::find_if(
        m_processes.begin(), m_processes.end(), [&](const ProcessInfo& p) { return p.worker == info.worker; });
    if (row == m_processes.end())
        m_processes.push_back(info);
    else
        *row = info;
}

std::vector<ProcessInfo> RunContext::processes() const
{
    std::lock_guard lock(m_mutex);
    return m_processes;
}

void RunContext::requestKill(std::int64_t pid)
{
    std::lock_guard lock(m_mutex);
    m_killRequests.push_back(pid);
}

std::vector<std::int64_t> RunContext::takeKillRequests()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_killRequests, {});
}

Recorder& RunContext::recorder(std::uint32_t worker)
{
    std::lock_guard lock(m_mutex);
    return *m_recorders.at(worker);
}

std::size_t RunContext::workerCount() const
{
    std::lock_guard lock(m_mutex);
    return m_recorders.size();
}

std::vector<WorkerInfo> RunContext::workers() const
{
    std::lock_guard lock(m_mutex);
    return m_workers;
}

std::vector<Recorder*> RunContext::recorders() const
{
    std::lock_guard lock(m_mutex);
    return m_recorders;
}

void RunContext::bindCurrentThread(std::uint32_t worker)
{
    follow(worker, 0);
    QString name;
    {
        std::lock_guard lock(m_mutex);
        name = m_workers.at(worker).name;
    }
    // Linux limits thread names to 15 bytes; tools like top and gdb show them.
    pthread_setname_np(pthread_self(), name.toUtf8().left(15).constData());
    // Workers run a little below normal priority (Linux nice is per thread; raising it needs no privilege),
    // so that with more busy workers than cores the collector still drains on time and the window stays
    // responsive. Among themselves workers stay equal, so the contention they show is unchanged.
    setpriority(PRIO_PROCESS, id_t(gettid()), kWorkerNice);
    // Last: a listed thread id says the thread is set up (threads-demo lists them once all have one).
    std::lock_guard lock(m_mutex);
    m_workers.at(worker).tid = gettid();
}

void RunContext::followCurrentThread(std::uint32_t worker)
{
    follow(worker, 0);
    std::lock_guard lock(m_mutex);
    m_workers.at(worker).tid = gettid();
}

InstrumentedLock& RunContext::addLock(const QString& name, LockKind kind)
{
    std::lock_guard lock(m_mutex);
    m_locks.push_back(std::make_unique<InstrumentedLock>(addLockNameLocked(name, kMaxLocks), kind, m_registry));
    return *m_locks.back();
}

std::uint16_t RunContext::addExternalLock(const QString& name)
{
    std::lock_guard lock(m_mutex);
    return addLockNameLocked(name, kMaxExternalLocks);
}

void RunContext::renameLock(std::uint16_t id, const QString& name)
{
    std::lock_guard lock(m_mutex);
    m_lockNames.at(id) = name;
}

std::uint16_t RunContext::addLockNameLocked(const QString& name, std::size_t limit)
{
    if (m_lockNames.size() >= limit)
        throw std::runtime_error("too many locks");
    m_lockNames.push_back(name);
    return std::uint16_t(m_lockNames.size() - 1);
}

std::vector<QString> RunContext::lockNames() const
{
    std::lock_guard lock(m_mutex);
    return m_lockNames;
}

RunContext::CounterRegistration RunContext::addCounter(const QString& name, std::function<std::int64_t()> sample)
{
    std::lock_guard lock(m_mutex);
    m_counters.emplace_back(name, std::move(sample));
    return { *this, m_counters.size() - 1 };
}

std::vector<QString> RunContext::counterNames() const
{
    std::lock_guard lock(m_mutex);
    std::vector<QString> names;
    for (const auto& c : m_counters)
        names.push_back(c.first);
    return names;
}

std::vector<std::int64_t> RunContext::sampleCounters() const
{
    std::lock_guard lock(m_mutex);
    std::vector<std::int64_t> values;
    for (const auto& c : m_counters)
        values.push_back(c.second());
    return values;
}

void RunContext::freezeCounter(std::size_t index)
{
    std::lock_guard lock(m_mutex);
    auto& sample = m_counters.at(index).second;
    sample = [value = sample()] { return value; };
}

void RunContext::requestStop()
{
    {
        std::lock_guard lock(m_stopMutex);
        m_stop.store(true, std::memory_order_relaxed);
    }
    m_stopChanged.notify_all();
}

QString failureText(const std::exception& e)
{
    if (dynamic_cast<const std::bad_alloc*>(&e))
        return QStringLiteral("out of memory");
    // std::thread's way to say it could not make one (its what() is only the system's words).
    if (const auto* s = dynamic_cast<const std::system_error*>(&e);
        s && s->code() == std::errc::resource_unavailable_try_again)
        return QStringLiteral("cannot start another thread (out of memory or a thread limit): %1")
            .arg(QString::fromUtf8(e.what()));
    return QString::fromUtf8(e.what());
}

void RunContext::fail(const QString& why)
{
    {
        std::lock_guard lock(m_stopMutex);
        if (m_failure.isEmpty())
            m_failure = why;
    }
    requestStop();
}

QString RunContext::failure() const
{
    std::lock_guard lock(m_stopMutex);
    return m_failure;
}

bool RunContext::sleepFor(std::chrono::nanoseconds duration, Recorder& rec)
{
    rec.record(EventKind::Sleeping);
    {
        std::unique_lock lock(m_stopMutex);
        m_stopChanged.wait_for(lock, duration, [this] { return m_stop.load(std::memory_order_relaxed); });
    }
    rec.record(EventKind::Running);
    return !stopRequested();
}

void RunContext::setSchedulerSource(const QString& source)
{
    std::lock_guard lock(m_mutex);
    m_schedulerSource = source;
}

bool RunContext::followsContextSwitches() const
{
    std::lock_guard lock(m_mutex);
    return m_anyFollowed;
}

QString RunContext::schedulerSource() const
{
    std::lock_guard lock(m_mutex);
    return m_anyFollowed ? QString::fromLatin1(kContextSwitchSource) : m_schedulerSource;
}

void RunContext::beginPhase(const QString& label)
{
    const std::int64_t now = clock::monotonicNs();
    std::lock_guard lock(m_mutex);
    if (!m_phases.empty() && m_phases.back().end == INT64_MAX)
        m_phases.back().end = now;
    m_phases.push_back({ now, INT64_MAX, label });
}

void RunContext::endPhase()
{
    const std::int64_t now = clock::monotonicNs();
    std::lock_guard lock(m_mutex);
    if (!m_phases.empty() && m_phases.back().end == INT64_MAX)
        m_phases.back().end = now;
}

std::vector<Phase> RunContext::phases() const
{
    std::lock_guard lock(m_mutex);
    return m_phases;
}

QString RunContext::schedulerNote() const
{
    std::lock_guard lock(m_mutex);
    return m_switchesRefused;
}

void RunContext::setResult(const QString& key, const QJsonValue& value)
{
    std::lock_guard lock(m_mutex);
    m_results.insert(key, value);
}

void RunContext::setWorkerFigure(std::uint32_t worker, const QString& key, const QJsonValue& value)
{
    std::lock_guard lock(m_mutex);
    m_workerFigures[worker].insert(key, value);
}

void RunContext::setLiveResult(const QString& key, const QJsonValue& value)
{
    std::lock_guard lock(m_mutex);
    m_liveResults.insert(key, value);
}

QJsonObject RunContext::results() const
{
    std::lock_guard lock(m_mutex);
    return m_results;
}

QJsonObject RunContext::liveResults() const
{
    std::lock_guard lock(m_mutex);
    return m_liveResults;
}

void RunContext::setWorkerTimes(std::uint32_t worker, std::int64_t elapsedNs, std::int64_t runQueueNs)
{
    std::lock_guard lock(m_mutex);
    m_workerTimes.at(worker) = { elapsedNs, runQueueNs };
}

std::vector<QJsonObject> RunContext::workerFigures() const
{
    std::lock_guard lock(m_mutex);
    std::vector<QJsonObject> out(m_recorders.size());
    for (const auto& [worker, figures] : m_workerFigures)
        if (worker < out.size())
            out[worker] = figures;
    for (std::size_t w = 0; w < out.size() && w < m_workerTimes.size(); ++w) {
        if (m_workerTimes[w].first >= 0)
            out[w].insert(QStringLiteral("elapsed_ns"), qint64(m_workerTimes[w].first));
        if (m_workerTimes[w].second >= 0)
            out[w].insert(QStringLiteral("runqueue_ns"), qint64(m_workerTimes[w].second));
    }
    return out;
}

} // namespace tl
