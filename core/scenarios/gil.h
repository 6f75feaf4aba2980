#pragma once

#include "scenario.h"

namespace tl {

// A simulated global interpreter lock: the same batch on threads without it and with it. On CPU work the
// GIL takes the speed-up away and the threads take turns; on I/O work they still overlap.
class Gil : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

} // namespace tl
