#pragma once

#include "../scenarios/scenario.h"

#include <memory>

namespace tl {

class RunContext;

// What a Run executes: the work that fills its recorders. Run owns everything around it (the collector, the
// clock, stopping, failures, the outcome), so a new kind of run is a new source, not a new Run.
class RunSource {
public:
    virtual ~RunSource() = default;
    // What the outcome says ran: name, title, parameters and the order of its results.
    virtual ScenarioInfo info() const = 0;
    // Does the work on the calling thread, through `ctx`, while the collector drains it; returns when done or
    // when a stop is requested. Throwing std::exception marks the run failed with its message.
    virtual void run(RunContext& ctx) = 0;
};

// A scenario from the registry: the source of every run today.
class ScenarioSource final : public RunSource {
public:
    explicit ScenarioSource(std::unique_ptr<Scenario> scenario)
        : m_scenario(std::move(scenario))
    {
    }
    ScenarioInfo info() const override { return m_scenario->info(); }
    void run(RunContext& ctx) override { m_scenario->run(ctx); }

private:
    std::unique_ptr<Scenario> m_scenario;
};

} // namespace tl
