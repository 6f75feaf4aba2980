#pragma once

#include "../scenarios/scenario.h"
#include "collector.h"
#include "runcontext.h"

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

// One execution of a scenario, synchronous: execute() blocks until the scenario returns. requestStop()
// and setLive() may be called from any other thread meanwhile. The CLI uses this directly; the GUI wraps
// it in a RunController.
class Run {
public:
    Run(std::unique_ptr<Scenario> scenario, const ParamSet& params);
    ~Run();

    void setBatchSink(BatchSink sink, BatchContent content = BatchContent::EventsAndProgress)
    {
        m_sink = std::move(sink);
        m_content = content;
    }
    RunOutcome execute();

    void requestStop() { m_ctx.requestStop(); }
    bool setLive(const QString& name, std::int64_t value, QString* error = nullptr)
    {
        return m_ctx.setLive(name, value, error);
    }
    void requestKill(std::int64_t pid) { m_ctx.requestKill(pid); }
    const RunContext& context() const { return m_ctx; }

private:
    std::unique_ptr<Scenario> m_scenario;
    RunContext m_ctx;
    BatchSink m_sink;
    BatchContent m_content = BatchContent::EventsAndProgress;
};

// The summary `threadlab run --json` prints: scenario, params, duration_ms, events, dropped_events,
// workers (name plus the scenario's per-worker figures), results.
QJsonObject summaryJson(const RunOutcome& outcome);

} // namespace tl
