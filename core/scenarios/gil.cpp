#include "resulttable.h"
#include "scenario.h"

#include "../pools/simulatedgil.h"
#include "../pools/workload.h"
#include "../run/runcontext.h"

namespace tl {

namespace {
struct Params {
    int workers = 0;
    WorkParams work;
    std::chrono::milliseconds switchInterval {};
};
const ParamTable<Params> kParams {
    param(&Params::workers,
        ParamSpec::integer(QStringLiteral("workers"), 2, 1, 32, QStringLiteral("Threads in the pool"))),
    paramGroup(&Params::work, workParams()),
    param(&Params::switchInterval, switchIntervalParam()),
};

struct Results {
    double sequentialMs = 0;
    double wallMs = 0; // with the GIL
    double speedupWithoutGil = 0;
    double speedupWithGil = 0;
    double speedup = 0; // with the GIL, the figure every pools scenario reports
    qint64 gilSwitches = 0;
    QJsonObject executors;
    std::optional<QJsonObject> server;
};
const ResultTable<Results> kResults {
    result(&Results::sequentialMs, QStringLiteral("sequential_ms")),
    result(&Results::wallMs, QStringLiteral("wall_ms")),
    result(&Results::speedupWithoutGil, QStringLiteral("speedup_without_gil")),
    result(&Results::speedupWithGil, QStringLiteral("speedup_with_gil")),
    result(&Results::speedup, QStringLiteral("speedup")),
    result(&Results::gilSwitches, QStringLiteral("gil_switches")),
    result(&Results::executors, QStringLiteral("executors")),
    result(&Results::server, QStringLiteral("server")),
};

// A simulated global interpreter lock: the same batch on threads without it and with it. On CPU work the
// GIL takes the speed-up away and the threads take turns; on I/O work they still overlap.
class GilEffect final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("gil"),
            .title = QStringLiteral("The GIL's effect"),
            .summary = QStringLiteral("The same batch on threads without and with a simulated global interpreter lock"),
            .topic
            = QStringLiteral("The GIL: threading doesn't help CPU-bound tasks; use threading for I/O concurrency"),
            .params = kParams.specs(),
            .results = kResults.keys() + BatchOutcome::figureOrder(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        PoolBench bench(ctx, p.work);
        ThreadPoolExecutor pool(ctx, p.workers);
        const auto gil = makeGil(ctx, p.switchInterval);
        const BatchOutcome baseline = bench.sequential.run(bench.work(), bench.progress);
        const BatchOutcome free = pool.run(bench.work(), p.workers, nullptr, bench.progress);
        const BatchOutcome locked = pool.run(bench.work(), p.workers, gil.get(), bench.progress);

        kResults.report(ctx,
            {
                .sequentialMs = double(baseline.wallNs) / 1e6,
                .wallMs = double(locked.wallNs) / 1e6,
                .speedupWithoutGil = speedup(baseline, free),
                .speedupWithGil = speedup(baseline, locked),
                .speedup = speedup(baseline, locked),
                .gilSwitches = qint64(gil->switches()),
                .executors = { { QStringLiteral("sequential"), baseline.toJson(false) },
                    { QStringLiteral("threads"), free.toJson(false) },
                    { QStringLiteral("threads_gil"), locked.toJson(true) } },
                .server = bench.server(),
            });
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Params p = kParams.fromSummary(summary);
        const Results r = kResults.fromSummary(summary);
        const bool cpu = p.work.kind == WorkKind::Cpu;
        QString text = QStringLiteral("The batch took %1 ms one by one. %2 threads made it <b>%3× as fast without the "
                                      "GIL</b> and <b>%4× with it</b> (%5 hand-overs of the GIL). ")
                           .arg(r.sequentialMs, 0, 'f', 0)
                           .arg(QString::number(p.workers))
                           .arg(r.speedupWithoutGil, 0, 'f', 2)
                           .arg(r.speedupWithGil, 0, 'f', 2)
                           .arg(r.gilSwitches);
        const double with = r.speedupWithGil;
        const double without = r.speedupWithoutGil;
        if (cpu && gainOf(without) != Gain::Clear)
            text += QStringLiteral(
                "Without the GIL the threads gained only %1× here, so this run cannot show what the GIL "
                "takes away: %2.")
                        .arg(without, 0, 'f', 2)
                        .arg(busyMachineAdvice());
        else if (cpu && gainOf(with) != Gain::None)
            text += QStringLiteral(
                "With the GIL they still ran %1× as fast as one by one, which a GIL that lets one "
                "thread compute at a time does not allow: the one-by-one baseline was probably slowed "
                "by another program; run it again.")
                        .arg(with, 0, 'f', 2);
        else if (cpu)
            text
                += QStringLiteral("With the GIL, only the thread holding it computes; the others wait (red), and every "
                                  "%1 ms it passes to the next one: the threads take turns, as on one core. For CPU "
                                  "work in Python, use processes.")
                       .arg(QString::number(p.switchInterval.count()));
        else if (gainOf(with) == Gain::Clear)
            text
                += QStringLiteral("A thread lets the GIL go while it waits for the server, so the waits still overlap: "
                                  "for I/O work, threads help with or without the GIL.");
        else
            text += QStringLiteral(
                "Here even the waits for the server did not overlap with the GIL (%1×): the server or "
                "the machine was the limit; try a longer delay_ms.")
                        .arg(with, 0, 'f', 2);
        return text;
    }
};
}

std::unique_ptr<Scenario> makeGilEffect()
{
    return std::make_unique<GilEffect>();
}

} // namespace tl
