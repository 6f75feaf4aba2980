#pragma once

#include "scenario.h"

namespace tl {

// Threads around a bounded queue: P producers, C consumers. Waiting on condition variables blocks a thread
// until there is room or an item; busy polling keeps checking, and burns a CPU doing it.
class ProducerConsumer : public Scenario {
public:
    enum Waiting { ConditionVariable, BusyPoll };

    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

} // namespace tl
