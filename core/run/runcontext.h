#pragma once

#include "../params/parameter.h"
#include "../sync/instrumentedlock.h"
#include "../sync/lockregistry.h"
#include "../trace/contextswitches.h"
#include "../trace/processinfo.h"
#include "../trace/recorder.h"
#include "../trace/trace.h"

#include <QJsonObject>
#include <QJsonValue>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace tl {

// The nice value worker threads run at (see RunContext::runAsWorker), which the run's account states.
constexpr int kWorkerNice = 10;

// Everything a scenario needs while it runs, and everything the collector reads: parameters (live ones as
// atomics), workers and their recorders, instrumented locks, sampled counters, the stop request, results.
class RunContext {
public:
    explicit RunContext(const ParamSet& params);
    ~RunContext();
    RunContext(const RunContext&) = delete;
    RunContext& operator=(const RunContext&) = delete;

    // Parameters. Workers read live ones each iteration with a relaxed load.
    const ParamSet& params() const { return m_params; }
    const std::atomic<std::int64_t>& param(const QString& name) const;
    std::int64_t value(const QString& name) const { return param(name).load(std::memory_order_relaxed); }
    // Changes a live parameter while running; false (and a reason) for unknown, fixed or invalid values.
    bool setLive(const QString& name, std::int64_t value, QString* error = nullptr);

    // Workers: one lane and one recorder each; the in-process ones share the run's recording budget.
    std::uint32_t addWorker(const QString& name, const QString& group = {});
    Recorder& recorder(std::uint32_t worker);
    std::size_t workerCount() const;
    std::vector<WorkerInfo> workers() const;
    std::vector<Recorder*> recorders() const;
    const RecordingBudget& recordingBudget() const { return m_budget; }
    // Names the calling OS thread after the worker, notes its thread id, and asks the kernel for its
    // context switches (see ContextSwitches).
    void bindCurrentThread(std::uint32_t worker);
    // Only the last two: for a lane the run's own thread records (a parent process's MainProcess lane).
    void followCurrentThread(std::uint32_t worker);
    // The kernel's context switches of the workers' threads and processes, each with its worker: first
    // those of threads a worker has left (a lane bound again, e.g. by the next pool batch), oldest first,
    // then one for each worker followed now. Read them in this order and a lane's records stay in time
    // order; then forgetLeftSwitches(*left) releases the left ones just read for the last time.
    std::vector<std::pair<std::uint32_t, ContextSwitches*>> contextSwitches(std::size_t* left) const;
    void forgetLeftSwitches(std::size_t n);
    // A worker whose recorder lives in `memory` (Recorder::bytesFor(capacity) bytes, e.g. a child process's
    // shared segment), which `storage` keeps alive until the run has been collected.
    std::uint32_t addWorkerIn(
        const QString& name, const QString& group, void* memory, std::size_t capacity, std::shared_ptr<void> storage);
    void setWorkerProcess(std::uint32_t worker, std::int64_t pid);
    // A worker whose recorder another process built and writes (a traced program's thread, in the arena
    // `storage` keeps mapped): it becomes this run's worker as it is.
    std::uint32_t addWorkerAttached(
        const QString& name, const QString& group, Recorder& recorder, std::shared_ptr<void> storage);
    // The lane is thread `tid` of process `pid` (another program's): noted, and followed through the kernel.
    void setWorkerThread(std::uint32_t worker, std::int64_t pid, std::int64_t tid);
    void renameWorker(std::uint32_t worker, const QString& name);

    // Processes of the run (the process table) and requests to kill one, from any thread.
    void setProcess(const ProcessInfo& info); // replaces the row with the same worker, or adds one
    std::vector<ProcessInfo> processes() const;
    void requestKill(std::int64_t pid);
    std::vector<std::int64_t> takeKillRequests();

    // Locks: ids start at 1 (0 means "no lock" in events).
    InstrumentedLock& addLock(const QString& name, LockKind kind);
    std::vector<QString> lockNames() const;
    const LockRegistry& lockRegistry() const { return m_registry; }
    // A lock that lives outside this process (a semaphore children share): a name for its id in events.
    std::uint16_t addExternalLock(const QString& name);
    void renameLock(std::uint16_t id, const QString& name);

    // Counters the collector samples once per tick (so workers pay nothing for them). `sample` reads the
    // scenario's own data, so the returned registration must not outlive it: declare it after that data;
    // when it goes out of scope the counter keeps its last value and never calls `sample` again.
    class [[nodiscard]] CounterRegistration {
    public:
        CounterRegistration(RunContext& ctx, std::size_t index)
            : m_ctx(&ctx)
            , m_index(index)
        {
        }
        CounterRegistration(CounterRegistration&& other) noexcept
            : m_ctx(std::exchange(other.m_ctx, nullptr))
            , m_index(other.m_index)
        {
        }
        CounterRegistration(const CounterRegistration&) = delete;
        CounterRegistration& operator=(const CounterRegistration&) = delete;
        CounterRegistration& operator=(CounterRegistration&&) = delete;
        ~CounterRegistration()
        {
            if (m_ctx)
                m_ctx->freezeCounter(m_index);
        }

    private:
        RunContext* m_ctx;
        std::size_t m_index;
    };
    CounterRegistration addCounter(const QString& name, std::function<std::int64_t()> sample);
    std::vector<QString> counterNames() const;
    std::vector<std::int64_t> sampleCounters() const;

    // Stop: a request any thread may make; sleeps and waits made through the context end at once.
    void requestStop();
    bool stopRequested() const noexcept { return m_stop.load(std::memory_order_relaxed); }
    // Nobody wants this run's trace any more (a new run was started while it was being completed, or the
    // window closed): the collector stops completing it. Also a stop request.
    void discard()
    {
        m_discarded.store(true, std::memory_order_relaxed);
        requestStop();
    }
    bool discarded() const noexcept { return m_discarded.load(std::memory_order_relaxed); }
    // A worker failed (an exception, e.g. out of memory): the run stops, and fails with the first reason
    // (failureText() words an exception for it).
    void fail(const QString& why);
    // The same from a thread of the run's own, where an exception would end ThreadLab: with the words
    // `describe()` builds, or, out of memory even for those, with a literal that needs none.
    template <typename Describe> void failFromOwnThread(Describe&& describe) noexcept
    {
        try {
            fail(describe());
        } catch (...) {
            fail(QStringLiteral("out of memory"));
        }
    }
    QString failure() const;
    // Records Sleeping then Running around an interruptible sleep; false when the run was stopped.
    bool sleepFor(std::chrono::nanoseconds duration, Recorder& rec);

    // Where the run learns when a worker had no CPU: kContextSwitchSource (the kernel's own switch records,
    // whenever it lets us follow the workers), else what the scenario set: "none" (only what workers record:
    // time descheduled inside a span is drawn as that span's state), or "schedstat" (the kernel's per-thread
    // run-queue time, read at the pool scenarios' task checkpoints).
    void setSchedulerSource(const QString& source);
    QString schedulerSource() const;
    // True once the kernel's switch records of any lane are followed (so they will be for a new lane too).
    bool followsContextSwitches() const;
    // Why the kernel's switch records are missing, when they are (empty otherwise).
    QString schedulerNote() const;

    // Phases: from now on the run is in the stage `label` (the previous one ends here); endPhase() ends
    // the current one without starting another. Not for hot paths.
    void beginPhase(const QString& label);
    void endPhase();
    std::vector<Phase> phases() const;

    // Results, reported by the scenario (not on hot paths).
    void setResult(const QString& key, const QJsonValue& value);
    void setWorkerFigure(std::uint32_t worker, const QString& key, const QJsonValue& value);
    // The figures elapsed_ns and runqueue_ns (-1: unknown), kept without allocating: a worker thread that ran
    // out of memory must still be able to finish (Qt's JSON would abort there).
    void setWorkerTimes(std::uint32_t worker, std::int64_t elapsedNs, std::int64_t runQueueNs);
    void setLiveResult(const QString& key, const QJsonValue& value);
    QJsonObject results() const;
    QJsonObject liveResults() const;
    std::vector<QJsonObject> workerFigures() const;

private:
    void freezeCounter(std::size_t index);
    // Instrumented locks are at most kMaxLocks (the registry's masks); names of others, as many as an event's
    // lock field can tell apart.
    std::uint16_t addLockNameLocked(const QString& name, std::size_t limit);
    static constexpr std::size_t kMaxExternalLocks = 65535;
    void addWorkerLocked(const QString& name, const QString& group, Recorder* recorder);
    // Makes the kernel's switch records of thread or process `tid` (0: the calling thread) the lane's source.
    void follow(std::uint32_t worker, pid_t tid);

    ParamSet m_params;
    std::vector<std::unique_ptr<std::atomic<std::int64_t>>> m_values;

    mutable std::mutex m_mutex; // guards the registries below; never taken by a worker's hot path
    RecordingBudget m_budget; // before the recorders that charge it
    std::vector<Recorder*> m_recorders; // index = worker
    std::vector<Recorder::Owned> m_ownRecorders;
    std::vector<std::shared_ptr<void>> m_recorderStorage; // segments holding child processes' recorders
    std::vector<std::unique_ptr<ContextSwitches>> m_switches; // index = worker
    std::vector<pid_t> m_followedTids; // index = worker: the thread or process m_switches follows
    std::vector<std::pair<std::uint32_t, std::unique_ptr<ContextSwitches>>> m_leftSwitches;
    bool m_anyFollowed = false;
    QString m_switchesRefused; // the kernel's reason, the first time it refused
    std::vector<ProcessInfo> m_processes;
    std::vector<std::int64_t> m_killRequests;
    std::vector<WorkerInfo> m_workers;
    std::vector<std::unique_ptr<InstrumentedLock>> m_locks;
    std::vector<QString> m_lockNames { QString() };
    std::vector<std::pair<QString, std::function<std::int64_t()>>> m_counters;
    QString m_schedulerSource = QStringLiteral("none");
    std::vector<Phase> m_phases;
    QJsonObject m_results;
    QJsonObject m_liveResults;
    std::map<std::uint32_t, QJsonObject> m_workerFigures;
    std::vector<std::pair<std::int64_t, std::int64_t>> m_workerTimes; // index = worker: elapsed, run queue
    LockRegistry m_registry;

    std::atomic<bool> m_stop { false };
    std::atomic<bool> m_discarded { false };
    mutable std::mutex m_stopMutex;
    QString m_failure; // guarded by m_stopMutex
    std::condition_variable m_stopChanged;
};

// An exception as a run's failure reads: its message, or "out of memory" for std::bad_alloc (whose
// what() names only the type).
QString failureText(const std::exception& e);

} // namespace tl
