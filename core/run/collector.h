#pragma once

#include "../processes/processinfo.h"
#include "../sync/lockregistry.h"
#include "../trace/clock.h"
#include "../trace/trace.h"

#include <QJsonObject>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace tl {

class RunContext;

// What the collector publishes once per tick: the events stored since the last batch (times in ns), and
// the run's state at that moment.
struct TraceBatch {
    // Lane events and counter samples (kind CounterSample, worker = counter id); left empty for sinks that
    // asked for progress only, which spares the collector a copy of every event.
    std::vector<Event> events;
    std::vector<WorkerInfo> workers; // all workers so far
    std::vector<ProcessInfo> processes; // the run's processes, when it has child processes
    std::vector<QString> counterNames;
    std::vector<QString> lockNames;
    std::uint64_t droppedEvents = 0; // total so far
    std::uint64_t totalEvents = 0; // stored so far
    std::int64_t startNs = 0;
    std::int64_t nowNs = 0;
    QJsonObject liveResults;
    LockRegistry::Snapshot locks; // who holds and who waits for which lock at this moment
};
using TraceBatchPtr = std::shared_ptr<const TraceBatch>;
using BatchSink = std::function<void(TraceBatchPtr)>;
enum class BatchContent { EventsAndProgress, ProgressOnly };

// Drains every recorder into the Trace on its own thread, every kTick, and publishes one batch per tick.
// Counters are sampled on a second, light thread every kSampleEvery: a drain of millions of events can take
// tens of milliseconds (fresh trace memory has to be faulted in), and the samples must not wait for it.
class Collector {
public:
    static constexpr std::chrono::milliseconds kTick { 20 };
    static constexpr std::chrono::milliseconds kSampleEvery { 10 };

    Collector(RunContext& ctx, Trace& trace, BatchSink sink, BatchContent content);
    ~Collector();
    void start();
    // Stops the thread and drains what is left: afterwards the Trace is complete and the collector idle.
    void finish();

private:
    // Runs `action` every `period` on the calling thread until `stop`, then once more.
    void repeatUntilStopped(const char* threadName, std::chrono::milliseconds period, const bool& stop,
        const std::function<void()>& action);
    void stopAndJoin(std::thread& thread, bool& stop);
    void sampleCounters();
    void collect();

    RunContext& m_ctx;
    Trace& m_trace;
    BatchSink m_sink;
    BatchContent m_content;
    ClockSync m_clock;
    std::uint64_t m_totalEvents = 0;
    std::thread m_thread;
    std::thread m_sampler;
    std::mutex m_samplesMutex;
    std::vector<Event> m_pendingSamples; // taken by the sampler, moved into the trace by collect()
    std::mutex m_mutex; // guards the two stop flags
    std::condition_variable m_wake;
    bool m_stopSampling = false;
    bool m_stopCollecting = false;
};

} // namespace tl
