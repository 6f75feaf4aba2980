#include "scenario.h"

#include "../pools/simulatedgil.h"
#include "../pools/workload.h"
#include "../run/runcontext.h"

namespace tl {

// A simulated global interpreter lock: the same batch on threads without it and with it. On CPU work the
// GIL takes the speed-up away and the threads take turns; on I/O work they still overlap.
class Gil : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

ScenarioInfo Gil::info() const
{
    QList<ParamSpec> params {
        ParamSpec::integer(QStringLiteral("workers"), 2, 1, 32, QStringLiteral("Threads in the pool")),
    };
    params += workParams();
    params += switchIntervalParam();
    return {
        QStringLiteral("gil"),
        QStringLiteral("The GIL's effect"),
        QStringLiteral("The same batch on threads without and with a simulated global interpreter lock"),
        QStringLiteral("The GIL: threading doesn't help CPU-bound tasks; use threading for I/O concurrency"),
        params,
        ScenarioInfo::Chart::None,
        QStringList { QStringLiteral("sequential_ms"), QStringLiteral("wall_ms"), QStringLiteral("speedup_without_gil"),
            QStringLiteral("speedup_with_gil"), QStringLiteral("speedup"), QStringLiteral("gil_switches"),
            QStringLiteral("executors") }
            + BatchOutcome::figureOrder(),
    };
}

void Gil::run(RunContext& ctx)
{
    const int workers = int(ctx.value(QStringLiteral("workers")));
    PreparedWork prepared(ctx);
    PoolProgress progress;
    const auto counters = addProgressCounters(ctx, progress);

    SequentialExecutor sequential(ctx);
    ThreadPoolExecutor pool(ctx, workers);
    const auto gil = makeGil(ctx);
    const BatchOutcome baseline = sequential.run(prepared.work, progress);
    const BatchOutcome free = pool.run(prepared.work, workers, nullptr, progress);
    const BatchOutcome locked = pool.run(prepared.work, workers, gil.get(), progress);

    ctx.setResult(QStringLiteral("sequential_ms"), double(baseline.wallNs) / 1e6);
    ctx.setResult(QStringLiteral("wall_ms"), double(locked.wallNs) / 1e6);
    ctx.setResult(QStringLiteral("speedup_without_gil"), speedup(baseline, free));
    ctx.setResult(QStringLiteral("speedup_with_gil"), speedup(baseline, locked));
    ctx.setResult(QStringLiteral("speedup"), speedup(baseline, locked));
    ctx.setResult(QStringLiteral("gil_switches"), qint64(gil->switches()));
    ctx.setResult(QStringLiteral("executors"),
        QJsonObject { { QStringLiteral("sequential"), baseline.toJson(false) },
            { QStringLiteral("threads"), free.toJson(false) },
            { QStringLiteral("threads_gil"), locked.toJson(true) } });
    if (prepared.server)
        ctx.setResult(QStringLiteral("server"), prepared.serverJson());
}

QString Gil::describeOutcome(const QJsonObject& summary) const
{
    const QJsonObject params = summary[u"params"].toObject();
    const QJsonObject r = summary[u"results"].toObject();
    const bool cpu = params[u"work"].toString() == u"cpu";
    QString text = QStringLiteral("The batch took %1 ms one by one. %2 threads made it <b>%3× as fast without the "
                                  "GIL</b> and <b>%4× with it</b> (%5 hand-overs of the GIL). ")
                       .arg(r[u"sequential_ms"].toDouble(), 0, 'f', 0)
                       .arg(QString::number(params[u"workers"].toInt()))
                       .arg(r[u"speedup_without_gil"].toDouble(), 0, 'f', 2)
                       .arg(r[u"speedup_with_gil"].toDouble(), 0, 'f', 2)
                       .arg(r[u"gil_switches"].toInteger());
    const double with = r[u"speedup_with_gil"].toDouble();
    const double without = r[u"speedup_without_gil"].toDouble();
    if (cpu && gainOf(without) != Gain::Clear)
        text += QStringLiteral("Without the GIL the threads gained only %1× here, so this run cannot show what the GIL "
                               "takes away: %2.")
                    .arg(without, 0, 'f', 2)
                    .arg(busyMachineAdvice());
    else if (cpu && gainOf(with) != Gain::None)
        text += QStringLiteral("With the GIL they still ran %1× as fast as one by one, which a GIL that lets one "
                               "thread compute at a time does not allow: the one-by-one baseline was probably slowed "
                               "by another program; run it again.")
                    .arg(with, 0, 'f', 2);
    else if (cpu)
        text += QStringLiteral("With the GIL, only the thread holding it computes; the others wait (red), and every "
                               "%1 ms it passes to the next one: the threads take turns, as on one core. For CPU "
                               "work in Python, use processes.")
                    .arg(QString::number(params[u"switch_interval_ms"].toInt()));
    else if (gainOf(with) == Gain::Clear)
        text += QStringLiteral("A thread lets the GIL go while it waits for the server, so the waits still overlap: "
                               "for I/O work, threads help with or without the GIL.");
    else
        text += QStringLiteral("Here even the waits for the server did not overlap with the GIL (%1×): the server or "
                               "the machine was the limit; try a longer delay_ms.")
                    .arg(with, 0, 'f', 2);
    return text;
}

std::unique_ptr<Scenario> makeGil()
{
    return std::make_unique<Gil>();
}

} // namespace tl
