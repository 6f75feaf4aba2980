#pragma once

#include "scenario.h"

namespace tl {

// The seed's producer and consumer processes, over a pipe or over a queue a server process holds (like
// Manager().Queue()): items produced and consumed, the queue's depth, blocked producers and consumers, and
// the seed's "while not queue.empty()" consumer, which quits early and misses items.
class QueuePipe : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

} // namespace tl
