#pragma once

#include "scenario.h"

namespace tl {

// Concurrency vs parallelism: the same CPU tasks on threads confined to one core (interleaved) and free to
// use every core (in parallel), with the CPUs each run used.
class Cores : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

} // namespace tl
