#pragma once

#include <scenarios/registry.h>
#include <session/run.h>

#include <QStringList>
#include <QtGlobal>

namespace tl::test {

// Runs a scenario to completion with `key=value` assignments on top of its defaults.
inline RunOutcome runScenario(const QString& scenario, const QStringList& assignments)
{
    auto s = createScenario(scenario);
    if (!s)
        qFatal("unknown scenario %s", qPrintable(scenario));
    ParamSet params(s->info().params);
    for (const auto& a : assignments) {
        QString error;
        if (!params.assign(a, &error))
            qFatal("bad test parameter %s: %s", qPrintable(a), qPrintable(error));
    }
    Run run(std::make_unique<ScenarioSource>(std::move(s)), params);
    return run.execute();
}

} // namespace tl::test
