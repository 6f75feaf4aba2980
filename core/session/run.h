#pragma once

#include "../run/collector.h"
#include "../run/runcontext.h"
#include "../scenarios/scenario.h"
#include "runsource.h"

#include <QJsonObject>
#include <memory>

namespace tl {

struct RunOutcome {
    enum class Status { Completed, Stopped, Failed };
    Status status = Status::Completed;
    QString error; // when Failed
    ScenarioInfo scenario;
    ParamSet params; // as the run started (live changes are in the trace, not here)
    std::shared_ptr<const Trace> trace;
    QJsonObject results;
    std::vector<QJsonObject> workerFigures; // index = worker
    std::vector<ProcessInfo> processes; // when the scenario started child processes: ThreadLab first
    std::int64_t durationNs = 0;

    QString statusName() const;
};

// One execution of a RunSource, synchronous: execute() blocks until the source returns. requestStop() and
// setLive() may be called from any other thread meanwhile. The CLI uses this directly; the GUI wraps
// it in a RunController.
class Run {
public:
    Run(std::unique_ptr<RunSource> source, const ParamSet& params);
    ~Run();

    void setBatchSink(BatchSink sink, BatchContent content = BatchContent::SpansAndProgress)
    {
        m_sink = std::move(sink);
        m_content = content;
    }
    // Called on execute()'s thread the moment the source has returned, before the rest of its events are
    // stored: a window may let the user start the next run while this one's picture completes.
    void setWorkersDoneHandler(std::function<void()> handler) { m_workersDone = std::move(handler); }
    RunOutcome execute();

    void requestStop() { m_ctx.requestStop(); }
    bool setLive(const QString& name, std::int64_t value, QString* error = nullptr)
    {
        return m_ctx.setLive(name, value, error);
    }
    void requestKill(std::int64_t pid) { m_ctx.requestKill(pid); }
    // Nobody wants this run's trace: execute() returns without completing it (see RunContext::discard).
    void discard() { m_ctx.discard(); }
    bool discarded() const { return m_ctx.discarded(); }
    const RunContext& context() const { return m_ctx; }

private:
    std::unique_ptr<RunSource> m_source;
    RunContext m_ctx;
    BatchSink m_sink;
    BatchContent m_content = BatchContent::SpansAndProgress;
    std::function<void()> m_workersDone;
};

// The summary `threadlab run --json` prints: scenario, params, duration_ms, events, dropped_events, gaps,
// recording_overhead, workers (name plus the scenario's per-worker figures), results.
QJsonObject summaryJson(const RunOutcome& outcome);
// What recording cost the workers: lane events x the measured cost of one record(), over the workers' time.
struct RecordingOverhead {
    std::uint64_t events = 0;
    double costPerEventNs = 0;
    std::int64_t workerNs = 0;
    double share() const { return workerNs > 0 ? double(events) * costPerEventNs / double(workerNs) : 0; }
};
RecordingOverhead recordingOverhead(std::uint64_t laneEvents, std::int64_t workerNs);
// The share of the worker threads' time they spent ready to run with no CPU (the kernel's run-queue time,
// summed over the workers that report runqueue_ns, over their elapsed_ns); -1 when none reports it.
double runQueueShare(const RunOutcome& outcome);
// When that share is large enough to change what the run measured, in plain words; empty otherwise.
QString cpuAccount(const RunOutcome& outcome);
// Where data is missing, in plain words ("worker-3 lost 1 200 events in 2 gaps ..."); empty when none was lost.
QString gapAccount(const Trace& trace);
} // namespace tl
