#pragma once

#include "../launch/tracedprogram.h"
#include "runsource.h"

#include <QJsonObject>

namespace tl {

// The name a traced program's runs go by (the summary's "scenario", the CLI's `trace` command).
inline constexpr const char* kTraceSourceName = "trace";

// A program the user wrote, traced (see TracedProgram): the run source of `threadlab trace` and of
// File → Trace a Program….
class TracedProgramSource final : public RunSource {
public:
    explicit TracedProgramSource(TraceRequest request)
        : m_program(std::move(request))
    {
    }
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override { m_program.run(ctx); }
    TracedProgram& program() { return m_program; }

private:
    TracedProgram m_program;
};

// What happened in a traced run, in plain words from its summary's figures (simple HTML, as a scenario's).
QString describeTrace(const QJsonObject& summary);

} // namespace tl
