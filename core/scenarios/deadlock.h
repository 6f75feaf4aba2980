#pragma once

#include "scenario.h"

namespace tl {

// Workers that need two locks at once: two workers taking two locks in opposite orders, or N dining
// philosophers. The naive strategy can deadlock; ThreadLab finds the cycle in the wait-for graph, reports it,
// and later breaks it. Ordering the locks, try-lock with back-off and scoped_lock never deadlock.
class Deadlock : public Scenario {
public:
    enum Variant { TwoLocks, Philosophers };
    enum Strategy { Naive, Ordered, TryLock, ScopedLock };

    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

} // namespace tl
