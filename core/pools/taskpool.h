#pragma once

#include "../trace/recorder.h"

#include <QJsonObject>
#include <QUrl>
#include <atomic>
#include <chrono>
#include <functional>
#include <vector>

namespace tl {

class ChildContext;
class Children;
class RunContext;
class PreemptionProbe;
class SimulatedGil;

enum class WorkKind { Cpu, Io };
enum class Executor { Sequential, Threads, Processes };
QString executorName(Executor executor); // "sequential", "threads", "processes"

// A batch of tasks, as the pools scenarios hand it to an executor (like executor.map(f, items)).
struct Workload {
    WorkKind kind = WorkKind::Cpu;
    int tasks = 8;
    std::int64_t number = 20000; // cpu: task i computes (number + i)!, the seed's factorials of large numbers
    QUrl url; // io: task i GETs this URL (the run's loopback server) + its index
    std::chrono::milliseconds timeout { 30'000 }; // io: a request gives up after this long
};

struct TaskOutcome {
    int index = -1;
    int worker = -1; // which worker of the pool ran it, from 0
    std::int64_t submittedNs = 0; // CLOCK_MONOTONIC: handed to the executor
    std::int64_t startedNs = 0; // a worker began it
    std::int64_t finishedNs = 0;
    std::int64_t figure = -1; // cpu: decimal digits of the factorial; io: bytes received
    std::uint64_t cpus = 0; // bit c set: the task ran on CPU c at some point
    QString error; // empty when it succeeded
    bool succeeded() const { return finishedNs > 0 && error.isEmpty(); }
};

struct BatchOutcome {
    Executor executor = Executor::Sequential;
    int workers = 1;
    bool gil = false;
    std::int64_t wallNs = 0; // first task handed over to last task done
    std::int64_t startupNs = 0; // processes: longest time from starting a worker process to it being ready
    std::vector<TaskOutcome> tasks;

    int succeeded() const;
    std::uint64_t cpus() const; // every CPU any task ran on
    // wall_ms, succeeded, failed, mean queue/run/latency ms, startup_ms; with `perTask`, one row per task.
    QJsonObject toJson(bool perTask) const;
    // toJson()'s keys in reading order, for a scenario's ScenarioInfo::results.
    static QStringList figureOrder();
};

// Live figures of the batch in progress, for the run's counters.
struct PoolProgress {
    std::atomic<int> waiting { 0 }; // handed over, not started
    std::atomic<int> done { 0 };
    void start(int tasks)
    {
        waiting = tasks;
        done = 0;
    }
};

// Runs task `index` on the calling thread, recording its states in `rec`: running on the CPU, I/O wait on
// the network, queued while it waits for a CPU (`probe`, made on this thread). With `gil`, holds it while on
// the CPU (handing it over every switch interval) and lets it go around the request, as CPython does. Ends
// early, with error "stopped", once `stopped()` is true.
TaskOutcome runTask(const Workload& work, int index, Recorder& rec, PreemptionProbe& probe, SimulatedGil* gil,
    const std::function<bool()>& stopped);

// Runs a batch one task after another on the calling thread, in a lane of its own.
class SequentialExecutor {
public:
    SequentialExecutor(RunContext& ctx, const QString& lane = QStringLiteral("Sequential"));
    BatchOutcome run(const Workload& work, PoolProgress& progress);

private:
    RunContext& m_ctx;
    std::uint32_t m_lane;
};

// A thread pool like ThreadPoolExecutor: a QThreadPool sized to the workers, whose threads take the batch's
// tasks from one queue. Lanes "Thread-1".. are made once and reused by every batch (a sweep runs many).
class ThreadPoolExecutor {
public:
    ThreadPoolExecutor(RunContext& ctx, int maxWorkers);
    BatchOutcome run(const Workload& work, int workers, SimulatedGil* gil, PoolProgress& progress);

private:
    RunContext& m_ctx;
    std::vector<std::uint32_t> m_lanes;
};

// A process pool like ProcessPoolExecutor: worker processes ("Worker-1"..) started once and reused, each
// fed one task at a time over its own pipe by the parent, which hands the next task to whichever worker
// finishes first; results come back over one shared pipe. A worker that dies fails the task it had; the
// others carry on. The workers run `role` of the scenario, whose runChild() must call runPoolWorker().
class ProcessPoolExecutor {
public:
    ProcessPoolExecutor(RunContext& ctx, Children& children, int maxWorkers, const Workload& work,
        const QString& role = QStringLiteral("pool-worker"));
    ~ProcessPoolExecutor(); // closes the task pipes: idle workers exit
    ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
    ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;

    // Run on the parent's lane (Children::parentWorker()). With `killOne`, one worker is killed mid-batch.
    BatchOutcome run(const Workload& work, int workers, PoolProgress& progress, bool killOne = false);
    // Longest time from starting a worker process to its being ready for tasks.
    std::int64_t startupNs() const;

private:
    RunContext& m_ctx;
    Children& m_children;
    std::vector<int> m_childIndex; // worker -> Children index
    std::vector<int> m_taskFds; // worker -> write end of its task pipe
    int m_resultFd = -1;
    std::vector<std::int64_t> m_startupNs; // worker -> its start-up, -1 if it never became ready
};

// The worker process's side: reads tasks until its pipe closes, runs each, writes its result.
int runPoolWorker(ChildContext& child);

} // namespace tl
