#pragma once

#include "scenario.h"

namespace tl {

// The seed's best practices, failing on purpose: a pool runs tasks of which some raise an error, some hang
// past their deadline and some succeed. Every task gets a timeout (future.result(timeout=...)), a hung task
// is cancelled, and every outcome is logged ("Task completed: …" / "Task failed: …").
class Failures : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

} // namespace tl
