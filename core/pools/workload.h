#pragma once

#include "../params/paramtable.h"
#include "../run/runcontext.h"
#include "httpserver.h"
#include "taskpool.h"

#include <chrono>
#include <memory>
#include <optional>

namespace tl {

class SimulatedGil;

// The work parameters every pools scenario shares (work, tasks, number, delay_ms, response_kb).
struct WorkParams {
    WorkKind kind = WorkKind::Cpu;
    int tasks = 0;
    std::int64_t number = 0;
    std::chrono::milliseconds delay {};
    std::int64_t responseKb = 0;
};
const ParamTable<WorkParams>& workParams();

// The batch the parameters describe. For I/O work it starts the run's loopback HTTP server, which stops
// when this is destroyed.
struct PreparedWork {
    Workload work;
    std::unique_ptr<LoopbackHttpServer> server;
    explicit PreparedWork(const WorkParams& params);
    QJsonObject serverJson() const; // address, requests served (empty for CPU work)
};

// The simulated GIL's switch interval parameter (switch_interval_ms), and the GIL it describes.
ParamSpec switchIntervalParam();
std::unique_ptr<SimulatedGil> makeGil(RunContext& ctx, std::chrono::milliseconds switchInterval);

// The live counters of a batch: tasks waiting and tasks done. Keep them no longer than `progress`.
struct ProgressCounters {
    RunContext::CounterRegistration waiting;
    RunContext::CounterRegistration done;
};
ProgressCounters addProgressCounters(RunContext& ctx, const PoolProgress& progress);

// What every pools scenario starts with: the prepared batch, its live progress counters and the one-by-one
// executor of its baseline.
struct PoolBench {
    PreparedWork prepared;
    PoolProgress progress;
    ProgressCounters counters; // after the progress they read
    SequentialExecutor sequential;

    PoolBench(RunContext& ctx, const WorkParams& params);
    const Workload& work() const { return prepared.work; }
    // The loopback server's figures, for I/O work (the "server" result).
    std::optional<QJsonObject> server() const;
};

// speed-up of `batch` over `baseline` (same tasks), 0 when either did not complete.
double speedup(const BatchOutcome& baseline, const BatchOutcome& batch);

} // namespace tl
