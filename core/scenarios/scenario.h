#pragma once

#include "../params/format.h" // describeOutcome() tells its numbers with these
#include "../params/parameter.h"

#include <QJsonObject>
#include <QString>

namespace tl {

class ChildContext;
class RunContext;

struct ScenarioInfo {
    QString name; // the CLI name, e.g. "race-counter"
    QString title; // for people, e.g. "Race on a shared counter"
    QString summary; // one line
    QString topic; // the seed topic it comes from
    QList<ParamSpec> params;
    // Drawn: the run reports results["chart"] (File → Export Chart, `--chart`); the CLI refuses --chart otherwise.
    enum class Chart { None, Drawn } chart = Chart::None;
    // The result keys in the order people read them, at every level: the results, the columns of their
    // records, the per-worker figures. The results panel shows these first and any others after them (a
    // JSON object keeps no order of its own).
    QStringList results {};
};

// One self-describing experiment. run() is called on the run's own thread; it starts its workers through
// the RunContext, returns when they are done or when a stop is requested, and reports through the context.
// Throwing std::exception marks the run failed with its message.
class Scenario {
public:
    virtual ~Scenario() = default;
    virtual ScenarioInfo info() const = 0;
    virtual void run(RunContext& ctx) = 0;
    // A few sentences for people: what happened in this run, told with its own numbers (simple HTML).
    // `summary` is the run's summary JSON (scenario, params, results, workers; see summaryJson()).
    virtual QString describeOutcome(const QJsonObject& summary) const = 0;
    // The scenario's code in one of its child processes (see Children), playing `role`; returns the
    // child's exit code. Scenarios without child processes keep this default.
    virtual int runChild(const QString& role, ChildContext& child);
};

// What a measured speed-up shows. A lesson about speed states its point only when its own numbers show it:
// on a busy machine other programs take the CPUs, and a textbook sentence beside 0.9x teaches the wrong thing.
enum class Gain {
    None, // at most kNoGain: as fast as one by one
    Unclear, // between: noise or a busy machine
    Clear, // at least kClearGain
};
constexpr double kNoGain = 1.15;
constexpr double kClearGain = 1.3;
Gain gainOf(double speedup);
// The sentence for a run whose numbers contradict its lesson.
QString busyMachineAdvice(); // "other programs probably had the CPUs: close them, or run it again"

} // namespace tl
