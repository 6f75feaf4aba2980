#pragma once

#include "../params/parameter.h"
#include "../run/runcontext.h"
#include "httpserver.h"
#include "taskpool.h"

#include <memory>

namespace tl {

class SimulatedGil;

// The work parameters every pools scenario shares: work (cpu|io), tasks, number, delay_ms, response_kb.
QList<ParamSpec> workParams();

// The batch the parameters describe. For I/O work it starts the run's loopback HTTP server, which stops
// when this is destroyed.
struct PreparedWork {
    Workload work;
    std::unique_ptr<LoopbackHttpServer> server;
    explicit PreparedWork(const RunContext& ctx);
    QJsonObject serverJson() const; // address, requests served (empty for CPU work)
};

// The simulated GIL's switch interval parameter (switch_interval_ms), and the GIL it describes.
ParamSpec switchIntervalParam();
std::unique_ptr<SimulatedGil> makeGil(RunContext& ctx);

// The live counters of a batch: tasks waiting and tasks done. Keep them no longer than `progress`.
struct ProgressCounters {
    RunContext::CounterRegistration waiting;
    RunContext::CounterRegistration done;
};
ProgressCounters addProgressCounters(RunContext& ctx, const PoolProgress& progress);

// speed-up of `batch` over `baseline` (same tasks), 0 when either did not complete.
double speedup(const BatchOutcome& baseline, const BatchOutcome& batch);

} // namespace tl
