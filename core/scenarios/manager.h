#pragma once

#include "scenario.h"

namespace tl {

// The seed's Manager: a server process owns a dictionary and a list; children change them through a proxy
// over a local socket, and each operation's cost is set beside the cost of the same update in shared memory.
class Manager : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

} // namespace tl
