#pragma once

#include "scenario.h"

namespace tl {

// The seed's child processes: start N children that report their PID, their parent's PID and the
// parameters they received (positional, keyword or a complex record), optionally with a large payload.
class ChildProcesses : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

} // namespace tl
