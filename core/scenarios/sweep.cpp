#include "sweep.h"

#include "../pools/simulatedgil.h"
#include "../pools/workload.h"
#include "../processes/children.h"
#include "../run/runcontext.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <QThread>

namespace tl {

namespace {
QJsonArray point(double x, double y)
{
    return { x, y };
}
}

ScenarioInfo Sweep::info() const
{
    QList<ParamSpec> params {
        ParamSpec::integer(QStringLiteral("max_workers"), 4, 1, 16,
            QStringLiteral("Run the batch with 1, 2, … this many workers, for threads and for processes")),
    };
    params += workParams();
    params += {
        ParamSpec::boolean(QStringLiteral("gil"), false,
            QStringLiteral("threads: hold a simulated global interpreter lock while on the CPU")),
        switchIntervalParam(),
    };
    return {
        QStringLiteral("sweep"),
        QStringLiteral("How many workers?"),
        QStringLiteral("Speed-up against the number of workers, for a thread pool and a process pool"),
        QStringLiteral("Worker count: number of CPU cores for CPU work, more (5-10) for I/O"),
        params,
        ScenarioInfo::Chart::Drawn,
    };
}

void Sweep::run(RunContext& ctx)
{
    const int maxWorkers = int(ctx.value(QStringLiteral("max_workers")));
    PreparedWork prepared(ctx);
    const Workload& work = prepared.work;
    PoolProgress progress;
    const auto counters = addProgressCounters(ctx, progress);

    SequentialExecutor sequential(ctx);
    ThreadPoolExecutor threads(ctx, maxWorkers);
    const auto gil = ctx.value(QStringLiteral("gil")) != 0 ? makeGil(ctx) : nullptr;
    const BatchOutcome baseline = sequential.run(work, progress);

    std::vector<BatchOutcome> batches;
    for (int w = 1; w <= maxWorkers && !ctx.stopRequested(); ++w)
        batches.push_back(threads.run(work, w, gil.get(), progress));
    Children children(ctx, info().name);
    runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder&) {
        ProcessPoolExecutor processes(ctx, children, maxWorkers, work);
        for (int w = 1; w <= maxWorkers && !ctx.stopRequested(); ++w)
            batches.push_back(processes.run(work, w, progress));
    });

    QJsonArray rows;
    QJsonArray threadPoints, processPoints;
    double top = maxWorkers;
    for (const auto& b : batches) {
        const double s = speedup(baseline, b);
        top = std::max(top, s);
        rows.append(QJsonObject { { QStringLiteral("executor"), executorName(b.executor) },
            { QStringLiteral("workers"), b.workers }, { QStringLiteral("wall_ms"), double(b.wallNs) / 1e6 },
            { QStringLiteral("speedup"), s } });
        (b.executor == Executor::Threads ? threadPoints : processPoints).append(point(b.workers, s));
    }
    const int cores = QThread::idealThreadCount();
    ctx.setResult(QStringLiteral("sequential_ms"), double(baseline.wallNs) / 1e6);
    ctx.setResult(QStringLiteral("rows"), rows);
    ctx.setResult(QStringLiteral("cores"), cores);
    ctx.setResult(QStringLiteral("chart"),
        QJsonObject { { QStringLiteral("title"), QStringLiteral("Speed-up over one by one") },
            { QStringLiteral("x_title"), QStringLiteral("workers") }, { QStringLiteral("x_integer"), true },
            { QStringLiteral("y_title"), QStringLiteral("speed-up (×)") },
            { QStringLiteral("series"),
                QJsonArray {
                    QJsonObject {
                        { QStringLiteral("name"), gil ? QStringLiteral("threads (GIL)") : QStringLiteral("threads") },
                        { QStringLiteral("points"), threadPoints } },
                    QJsonObject { { QStringLiteral("name"), QStringLiteral("processes") },
                        { QStringLiteral("points"), processPoints } },
                    QJsonObject { { QStringLiteral("name"), QStringLiteral("ideal") },
                        { QStringLiteral("dashed"), true },
                        { QStringLiteral("points"), QJsonArray { point(1, 1), point(maxWorkers, maxWorkers) } } },
                    QJsonObject { { QStringLiteral("name"), QStringLiteral("%1 cores").arg(cores) },
                        { QStringLiteral("dashed"), true },
                        { QStringLiteral("points"), QJsonArray { point(cores, 0), point(cores, top) } } },
                } } });
    if (prepared.server)
        ctx.setResult(QStringLiteral("server"), prepared.serverJson());
}

int Sweep::runChild(const QString& role, ChildContext& child)
{
    return role == u"pool-worker" ? runPoolWorker(child) : Scenario::runChild(role, child);
}

QString Sweep::describeOutcome(const QJsonObject& summary) const
{
    const QJsonObject r = summary[u"results"].toObject();
    const bool cpu = summary[u"params"].toObject()[u"work"].toString() == u"cpu";
    QString best[2];
    double bestSpeed[2] = { 0, 0 };
    for (const auto& row : r[u"rows"].toArray()) {
        const int i = row[u"executor"].toString() == u"threads" ? 0 : 1;
        if (row[u"speedup"].toDouble() > bestSpeed[i]) {
            bestSpeed[i] = row[u"speedup"].toDouble();
            best[i] = QString::number(row[u"workers"].toInt());
        }
    }
    QString text = QStringLiteral("One by one the batch took %1 ms. Best speed-up: <b>threads %2× with %3 workers, "
                                  "processes %4× with %5</b>. ")
                       .arg(r[u"sequential_ms"].toDouble(), 0, 'f', 0)
                       .arg(bestSpeed[0], 0, 'f', 2)
                       .arg(best[0])
                       .arg(bestSpeed[1], 0, 'f', 2)
                       .arg(best[1]);
    text += cpu ? QStringLiteral("For CPU work the curve flattens at the core count (%1 here): more workers than cores "
                                 "only take turns.")
                      .arg(r[u"cores"].toInt())
                : QStringLiteral("For I/O work the curve keeps climbing past the core count (%1 here): waiting "
                                 "workers need no core.")
                      .arg(r[u"cores"].toInt());
    return text;
}

} // namespace tl
