#pragma once

#include "scenario.h"

namespace tl {

// The seed's Value and Array across processes: children add to a shared integer and double a shared array
// in a QSharedMemory segment, guarded by a QSystemSemaphore unless the lock is off.
class SharedMemory : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

} // namespace tl
