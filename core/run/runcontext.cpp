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
// Recorders are pre-allocated and pre-faulted per worker; this bounds their total to 192 MiB whatever the
// worker count (touching memory costs ~0.5 ms/MiB on a small VM, paid before the workers start).
// One worker recording flat out writes ~30M events/s, so 2^21 events (32 MiB) cover three 20 ms collector
// ticks; a loss beyond that is marked in the lane as a gap. The budget is what 8 workers of race-counter
// (16 M events in about a second on 2 cores, the collector sharing them) need to keep every event: at
// 96 MiB they lost 26% on a loaded box, at 192 MiB 0 to 1.7% (peak RSS 476 MB).
constexpr std::size_t kEventBudget = (std::size_t(192) << 20) / sizeof(Event);
constexpr std::size_t kMinRecorderEvents = std::size_t(1) << 14;
constexpr std::size_t kMaxRecorderEvents = std::size_t(1) << 21;

// THREADLAB_RING_EVENTS=N sizes every ring to N events: a seam for tests that need rings to overflow.
std::size_t forcedRingEvents()
{
    const char* forced = std::getenv("THREADLAB_RING_EVENTS");
    return forced ? std::size_t(std::strtoull(forced, nullptr, 10)) : 0;
}
constexpr int kWorkerNice = 10;
}

RunContext::RunContext(const ParamSet& params)
    : m_params(params)
    , m_recorderCapacity(forcedRingEvents() > 0 ? forcedRingEvents() : kMaxRecorderEvents)
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

void RunContext::reserveWorkers(std::size_t expected)
{
    const std::size_t perWorker = kEventBudget / std::max<std::size_t>(expected, 1);
    std::lock_guard lock(m_mutex);
    m_recorderCapacity = std::clamp(std::bit_floor(perWorker), kMinRecorderEvents, kMaxRecorderEvents);
    if (const std::size_t forced = forcedRingEvents(); forced > 0)
        m_recorderCapacity = forced;
}

std::uint32_t RunContext::addWorker(const QString& name, const QString& group)
{
    // Workers are added by the scenario's thread only, so the id cannot change between the two locks; the
    // recorder (tens of MiB to pre-fault) is built outside the lock the counter sampler also takes.
    std::uint32_t id = 0;
    std::size_t capacity = 0;
    {
        std::lock_guard lock(m_mutex);
        id = std::uint32_t(m_recorders.size());
        capacity = m_recorderCapacity;
    }
    auto recorder = Recorder::create(id, capacity);
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
    m_recorders.push_back(recorder);
    m_switches.emplace_back();
    m_workers.push_back({ name, group.isEmpty() ? QStringLiteral("ThreadLab") : group, getpid(), 0 });
}

void RunContext::setWorkerProcess(std::uint32_t worker, std::int64_t pid)
{
    std::lock_guard lock(m_mutex);
    m_workers.at(worker).pid = pid;
    m_workers.at(worker).tid = pid; // a child process runs its part on its main thread
    followLocked(worker, pid_t(pid));
}

void RunContext::followLocked(std::uint32_t worker, pid_t tid)
{
    // The thread this lane had before is done with it; its last records are read once more, then let go.
    // The lane's previous thread may live on a while (a pool's thread exiting): its switches from now on
    // are not the lane's, and read after the new thread's they would be merged out of order.
    if (auto& before = m_switches.at(worker)) {
        before->stop();
        m_leftSwitches.emplace_back(worker, std::move(before));
    }
    QString why;
    m_switches[worker] = ContextSwitches::follow(tid, &why);
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
    QString name;
    {
        std::lock_guard lock(m_mutex);
        followLocked(worker, 0);
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
    std::lock_guard lock(m_mutex);
    followLocked(worker, 0);
    m_workers.at(worker).tid = gettid();
}

InstrumentedLock& RunContext::addLock(const QString& name, LockKind kind)
{
    std::lock_guard lock(m_mutex);
    m_locks.push_back(std::make_unique<InstrumentedLock>(addLockNameLocked(name), kind, m_registry));
    return *m_locks.back();
}

std::uint16_t RunContext::addExternalLock(const QString& name)
{
    std::lock_guard lock(m_mutex);
    return addLockNameLocked(name);
}

std::uint16_t RunContext::addLockNameLocked(const QString& name)
{
    if (m_lockNames.size() >= kMaxLocks)
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

std::vector<QJsonObject> RunContext::workerFigures() const
{
    std::lock_guard lock(m_mutex);
    std::vector<QJsonObject> out(m_recorders.size());
    for (const auto& [worker, figures] : m_workerFigures)
        if (worker < out.size())
            out[worker] = figures;
    return out;
}

} // namespace tl
