#pragma once

#include "scenario.h"

namespace tl {

// Pools over 1..N workers for threads and processes: speed-up against workers, with the ideal line and the
// machine's core count, to see where adding workers stops helping.
class Sweep : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

} // namespace tl
