#pragma once

#include "scenario.h"

namespace tl {

// The seed's multithreading example: start named threads that sleep, and list the live ones as they run.
class ThreadsDemo : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

} // namespace tl
