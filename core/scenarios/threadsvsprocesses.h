#pragma once

#include "scenario.h"

namespace tl {

// The seed's threads-vs-processes table, measured: N threads and N processes doing the same small job, with
// what each costs to start, the memory each takes, what one update of shared data costs, and what a crash does.
class ThreadsVsProcesses : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

} // namespace tl
