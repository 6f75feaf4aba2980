#pragma once

#include "scenario.h"

namespace tl {

// Moves payloads of growing size from ThreadLab to a child process through a pipe, a Unix-domain socket and
// shared memory, and measures bytes per second for each: the seed's "large data should go through shared
// memory rather than be pickled and copied", measured.
class IpcThroughput : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

} // namespace tl
