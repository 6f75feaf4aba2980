#pragma once

#include "scenario.h"

namespace tl {

// The seed's executors: one batch of CPU-bound (factorials) or I/O-bound (HTTP GETs) tasks run one by one,
// then by a thread pool or a process pool; wall time, speed-up, per-task latency and pool overhead.
class Pools : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

} // namespace tl
