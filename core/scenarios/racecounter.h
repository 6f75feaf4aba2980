#pragma once

#include "scenario.h"

namespace tl {

// The seed's shared counter: N workers each add 1 a number of times. Without a lock, updates are lost.
class RaceCounter : public Scenario {
public:
    enum LockMode { None, Mutex, Atomic };
    enum BackendChoice { StdThread, QThreadPoolBackend };

    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

} // namespace tl
