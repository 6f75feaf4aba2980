#pragma once

#include "scenario.h"

namespace tl {

// Workers alternate work outside a lock with a critical section inside it; shows who waits and how long.
class LockContention : public Scenario {
public:
    enum LockChoice { Mutex, Spinlock };

    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

} // namespace tl
