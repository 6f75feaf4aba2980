#pragma once

#include "../sync/lockregistry.h"
#include "../trace/clock.h"
#include "../trace/processinfo.h"
#include "../trace/spans.h"
#include "../trace/trace.h"

#include <QJsonObject>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace tl {

class RunContext;
class Recorder;

// One lane's part of a batch: spans built on the collector's thread, ready to draw.
struct LaneDelta {
    std::vector<Span> spans; // closed since the previous batch, in time order
    std::vector<Gap> gaps; // found since the previous batch (each also a NoData span in `spans`)
    std::vector<LaneMark> marks;
    Span open {}; // the span in progress at the batch's time, when hasOpen
    bool hasOpen = false;
};

// What the collector publishes once per tick: what the lanes did since the last batch, as spans, and the
// run's state at that moment. The GUI thread only appends ready spans; it never walks raw events.
struct TraceBatch {
    // Per worker; left empty for sinks that asked for progress only (the CLI), which spares building spans.
    std::vector<LaneDelta> lanes;
    std::vector<CounterSample> samples; // taken since the previous batch
    std::vector<WorkerInfo> workers; // all workers so far
    std::vector<ProcessInfo> processes; // the run's processes, when it has child processes
    std::vector<QString> counterNames;
    std::vector<QString> lockNames;
    std::vector<Phase> phases; // all so far; the last one may still last (end INT64_MAX)
    std::uint64_t droppedEvents = 0; // total so far
    std::uint64_t laneEvents = 0; // worker events stored so far
    std::int64_t workerNs = 0; // the workers' time so far (Trace::workerTimeNs)
    std::uint64_t totalEvents = 0; // stored so far, counter samples included
    // How far the collector is behind the workers: events recorded and not yet drained, and the age of the
    // oldest of them. The live view shows what it has and says this; the final picture has everything.
    std::uint64_t pendingEvents = 0;
    std::int64_t lagNs = 0;
    std::int64_t startNs = 0;
    std::int64_t nowNs = 0;
    QJsonObject liveResults;
    LockRegistry::Snapshot locks; // who holds and who waits for which lock at this moment
};
using TraceBatchPtr = std::shared_ptr<const TraceBatch>;
using BatchSink = std::function<void(TraceBatchPtr)>;
enum class BatchContent { SpansAndProgress, ProgressOnly };

// Drains every recorder into the Trace on its own thread, every kTick, and publishes one batch per tick.
// Each event is copied once, from its ring into the lane's pool chunk, converted to ns on the way, and fed
// to the lane's SpanBuilder in the same pass.
// Counters are sampled on a second, light thread every kSampleEvery: a drain of millions of events can take
// tens of milliseconds (fresh trace memory has to be faulted in), and the samples must not wait for it.
class Collector {
public:
    static constexpr std::chrono::milliseconds kTick { 20 };
    static constexpr std::chrono::milliseconds kSampleEvery { 10 };
    // How old a switch record must be to go into its lane before the worker's next event does (see collect).
    static constexpr std::int64_t kSwitchesSettleNs = 100'000'000;
    // How far before reading the switch records the lanes' rings are drained (see collect).
    static constexpr std::int64_t kSwitchMarginNs = 50'000;
    // At most this much of the run's time is drained in one tick: a collector far behind the workers
    // (more events a second than it stores on a busy machine) still publishes a batch every few tens of
    // milliseconds, so the picture keeps growing and says how far behind it is; and no batch takes the
    // window's thread long to append (a 50 ms slice of race-counter 5x10M, ~2 M spans, kept Run waiting
    // 160-260 ms behind one). THREADLAB_SLICE_NS sets another, for tests that need a collector behind the
    // workers on any machine.
    static constexpr std::int64_t kSliceNs = 10'000'000;

    Collector(RunContext& ctx, Trace& trace, BatchSink sink, BatchContent content);
    ~Collector();
    void start();
    // The workers ended at `runEndNs` (CLOCK_MONOTONIC; 0: now): stops the thread once it has drained what
    // is left, slice by slice, a batch each; afterwards the Trace is complete, ends at `runEndNs` and the
    // collector is idle. When the run is discarded meanwhile (RunContext::discard) it stops there instead,
    // and the Trace is left incomplete for its owner to throw away.
    void finish(std::int64_t runEndNs = 0);

private:
    // Runs `action(false)` every `period` on the calling thread until `stop`, then `action(true)` once.
    void repeatUntilStopped(const char* threadName, std::chrono::milliseconds period, const bool& stop,
        const std::function<void(bool last)>& action);
    void stopAndJoin(std::thread& thread, bool& stop);
    void sampleCounters();
    // `last`: the workers are done, so a loss not yet followed by a Lost marker closes its lane with a gap.
    void collect(bool last);
    // After the workers: the slices they left, then the last collect(); nothing more once discarded.
    void complete();
    std::uint64_t pendingEvents() const;
    std::int64_t runEnd() const; // where the last collect() closes the lanes
    // collect()'s steps, in order. Reads the kernel's new switch records into the lanes' feeds; returns the
    // tick up to which the rings may be drained.
    std::uint64_t readSwitchRecords(std::size_t lanes);
    // Moves the lane's events recorded before `drainBefore` (ticks) into the trace, and its switch records
    // among them by time (and those older than `switchesUntil`, ns, after them).
    void drainLane(Recorder& rec, SpanBuilder* builder, std::uint64_t drainBefore, std::int64_t switchesUntil);
    void storeInLane(std::uint32_t worker, Event e, SpanBuilder* builder);
    void closeUnmarkedLoss(Recorder& rec, SpanBuilder* builder);
    // Notes in Trace::losses the Lost events stored in the lane from index `storedFrom` on.
    void noteLosses(std::uint32_t worker, std::size_t storedFrom, std::uint64_t droppedNow);
    void closeSpans(TraceBatch& batch, std::size_t lanes, bool last, std::int64_t until);
    void updateTrace(bool last, std::int64_t now, std::uint64_t dropped);
    void fillBatch(TraceBatch& batch, std::int64_t now, std::uint64_t dropped) const;
    struct DrainTotals {
        std::uint64_t stored = 0;
        std::uint64_t dropped = 0; // events the lanes' rings and the kernel lost, all told
        std::uint64_t oldestPendingTicks = UINT64_MAX; // the oldest event left in a recorder
    };

    RunContext& m_ctx;
    Trace& m_trace;
    BatchSink m_sink;
    BatchContent m_content;
    ClockSync m_clock;
    std::uint64_t m_totalEvents = 0;
    std::uint64_t m_laneEvents = 0;
    std::vector<std::unique_ptr<SpanBuilder>> m_builders; // per lane, when batches carry spans
    // The span vectors of batches the sink has let go of, for the next batches: memory already faulted in
    // and likely still in cache, where a new vector per lane per tick would fault and miss on every line
    // of a busy run's millions of spans. Shared with the batches, which may outlive the collector.
    class SpanVectors : public std::enable_shared_from_this<SpanVectors> {
    public:
        // A batch with `lanes` lanes whose span vectors come from here and return here when it is let go.
        std::shared_ptr<TraceBatch> newBatch(std::size_t lanes);

    private:
        void giveBack(TraceBatch& done);
        std::mutex m_mutex;
        std::vector<std::vector<Span>> m_free;
    };
    std::shared_ptr<SpanVectors> m_spanVectors = std::make_shared<SpanVectors>();
    // Per lane: the kernel's switch records read but not yet merged into the lane, and the lane's last time.
    struct LaneFeed {
        std::vector<Event> switches;
        std::size_t next = 0;
        std::int64_t last = INT64_MIN;
        std::uint64_t lost = 0; // switch records the kernel had no room for
        std::uint64_t lossesNoted = 0; // events lost, as the Lost events noted in Trace::losses count them
    };
    std::vector<LaneFeed> m_feeds;
    std::thread m_thread;
    std::thread m_sampler;
    std::mutex m_samplesMutex;
    std::vector<CounterSample> m_pendingSamples; // taken by the sampler, moved into the trace by collect()
    std::mutex m_mutex; // guards the two stop flags
    std::condition_variable m_wake;
    bool m_stopSampling = false;
    bool m_stopCollecting = false;
    const std::int64_t m_sliceNs;
    std::int64_t m_runEndNs = 0; // set by finish() before the collector's thread is told to stop
};

} // namespace tl
