#include "scenario.h"

#include "../pools/simulatedgil.h"
#include "../pools/workload.h"
#include "../processes/children.h"
#include "../run/runcontext.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <QThread>
#include <stdexcept>

namespace tl {

// The seed's executors: one batch of CPU-bound (factorials) or I/O-bound (HTTP GETs) tasks run one by one,
// then by a thread pool or a process pool; wall time, speed-up, per-task latency and pool overhead.
class Pools : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
    int runChild(const QString& role, ChildContext& child) override;
};

ScenarioInfo Pools::info() const
{
    QList<ParamSpec> params {
        ParamSpec::choice(QStringLiteral("executor"),
            { QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes") },
            int(Executor::Threads),
            QStringLiteral("threads: a QThreadPool (ThreadPoolExecutor); processes: a pool of worker processes "
                           "(ProcessPoolExecutor); sequential: only the one-by-one baseline")),
        ParamSpec::integer(QStringLiteral("workers"), 2, 1, 32, QStringLiteral("Threads or processes in the pool")),
    };
    params += workParams();
    params += {
        ParamSpec::boolean(QStringLiteral("gil"), false,
            QStringLiteral("threads: hold a simulated global interpreter lock while on the CPU, as CPython does")),
        switchIntervalParam(),
        Children::killOneParam(),
    };
    return {
        QStringLiteral("pools"),
        QStringLiteral("Thread pool vs process pool"),
        QStringLiteral("One batch of CPU-bound or I/O-bound tasks, one by one and then in a pool: the speed-up"),
        QStringLiteral("ThreadPoolExecutor / ProcessPoolExecutor; web scraping (I/O) and factorials (CPU)"),
        params,
        ScenarioInfo::Chart::None,
        QStringList { QStringLiteral("executor"), QStringLiteral("sequential_ms"), QStringLiteral("wall_ms"),
            QStringLiteral("speedup"), QStringLiteral("succeeded"), QStringLiteral("failed"),
            QStringLiteral("executors") }
            + BatchOutcome::figureOrder(),
    };
}

void Pools::run(RunContext& ctx)
{
    const auto executor = Executor(ctx.value(QStringLiteral("executor")));
    const int workers = int(ctx.value(QStringLiteral("workers")));
    PreparedWork prepared(ctx);
    const Workload& work = prepared.work;

    PoolProgress progress;
    const auto counters = addProgressCounters(ctx, progress);

    SequentialExecutor sequential(ctx);
    const BatchOutcome baseline = sequential.run(work, progress);
    BatchOutcome batch = baseline;
    if (executor == Executor::Threads && !ctx.stopRequested()) {
        ThreadPoolExecutor pool(ctx, workers);
        const auto gil = ctx.value(QStringLiteral("gil")) != 0 ? makeGil(ctx) : nullptr;
        batch = pool.run(work, workers, gil.get(), progress);
    } else if (executor == Executor::Processes && !ctx.stopRequested()) {
        Children children(ctx, info().name);
        runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder&) {
            ProcessPoolExecutor pool(ctx, children, workers, work);
            batch = pool.run(work, workers, progress, ctx.value(QStringLiteral("kill_one")) != 0);
        });
    }

    ctx.setResult(QStringLiteral("executor"), executorName(executor));
    ctx.setResult(QStringLiteral("wall_ms"), double(batch.wallNs) / 1e6);
    ctx.setResult(QStringLiteral("sequential_ms"), double(baseline.wallNs) / 1e6);
    ctx.setResult(QStringLiteral("speedup"), speedup(baseline, batch));
    ctx.setResult(QStringLiteral("succeeded"), batch.succeeded());
    ctx.setResult(QStringLiteral("failed"), int(batch.tasks.size()) - batch.succeeded());
    QJsonObject executors { { QStringLiteral("sequential"), baseline.toJson(executor == Executor::Sequential) } };
    if (executor != Executor::Sequential)
        executors.insert(executorName(executor), batch.toJson(true));
    ctx.setResult(QStringLiteral("executors"), executors);
    if (prepared.server)
        ctx.setResult(QStringLiteral("server"), prepared.serverJson());
    // A download the server did not answer is not a lesson of this scenario: the run failed, and says why.
    int serverFailures = 0;
    QString example;
    std::vector<const BatchOutcome*> batches { &baseline };
    if (executor != Executor::Sequential)
        batches.push_back(&batch);
    for (const BatchOutcome* b : batches)
        for (const auto& t : b->tasks)
            if (t.error.startsWith(u"GET ") && ++serverFailures == 1)
                example = t.error;
    if (serverFailures > 0 && !ctx.stopRequested())
        throw std::runtime_error(
            QStringLiteral("%1 download(s) failed (%2)").arg(serverFailures).arg(example).toStdString());
}

int Pools::runChild(const QString& role, ChildContext& child)
{
    return role == u"pool-worker" ? runPoolWorker(child) : Scenario::runChild(role, child);
}

QString Pools::describeOutcome(const QJsonObject& summary) const
{
    const QJsonObject params = summary[u"params"].toObject();
    const QJsonObject results = summary[u"results"].toObject();
    const QString executor = results[u"executor"].toString();
    const bool cpu = params[u"work"].toString() == u"cpu";
    const QJsonObject batch = results[u"executors"].toObject()[executor].toObject();
    const double speed = results[u"speedup"].toDouble();
    // The first bold phrase makes the slide's headline: the pool's speed-up, or this time if there is no pool.
    const QString oneByOne = QStringLiteral("%1 ms").arg(results[u"sequential_ms"].toDouble(), 0, 'f', 0);
    QString text = QStringLiteral("%1 %2 tasks one by one took %3. ")
                       .arg(QString::number(params[u"tasks"].toInt()),
                           cpu ? QStringLiteral("factorial") : QStringLiteral("download"),
                           executor == u"sequential" ? QStringLiteral("<b>%1</b>").arg(oneByOne) : oneByOne);
    if (executor == u"sequential")
        return text + QStringLiteral("Pick threads or processes to see what a pool does with the same batch.");
    const bool gil = params[u"gil"].toBool() && executor == u"threads";
    text += QStringLiteral("%1 %2%3 took <b>%4 ms: %5× as fast as one by one</b>. ")
                .arg(QString::number(params[u"workers"].toInt()), executor,
                    gil ? QStringLiteral(" holding a simulated GIL") : QString())
                .arg(results[u"wall_ms"].toDouble(), 0, 'f', 0)
                .arg(speed, 0, 'f', 2);
    const Gain gain = gainOf(speed);
    if (cpu && gil && gain == Gain::Clear)
        text += QStringLiteral("With the GIL only one thread should compute at a time, yet this run gained %1×: the "
                               "one-by-one baseline was probably slowed by another program; run it again. ")
                    .arg(speed, 0, 'f', 2);
    else if (cpu && gil)
        text += QStringLiteral("With the GIL only one thread computes at a time (the red and yellow show them "
                               "taking turns), so CPU work gains nothing from threads: use processes. ");
    else if (cpu && gain == Gain::Clear)
        text += QStringLiteral("CPU work only speeds up with as many workers as there are cores (%1 here). ")
                    .arg(QThread::idealThreadCount());
    else if (cpu)
        text += QStringLiteral("CPU work on %1 cores should gain from a pool, and this run did not: %2. ")
                    .arg(QThread::idealThreadCount())
                    .arg(busyMachineAdvice());
    else if (gain == Gain::Clear)
        text += QStringLiteral("The workers spend their time waiting for the server (grey-blue), not computing, so "
                               "more workers than cores still help: I/O work suits threads. ");
    else
        text += QStringLiteral("The waits for the server should overlap, and here they barely did: the server or the "
                               "machine was the limit; try a longer delay_ms. ");
    text += QStringLiteral("Each task waited %1 ms in the queue on average and took %2 ms from hand-over to result.")
                .arg(batch[u"mean_queue_ms"].toDouble(), 0, 'f', 1)
                .arg(batch[u"mean_latency_ms"].toDouble(), 0, 'f', 1);
    if (batch.contains(u"startup_ms"))
        text += QStringLiteral(" Starting the worker processes took up to %1 ms before the first task.")
                    .arg(batch[u"startup_ms"].toDouble(), 0, 'f', 1);
    if (const int failed = results[u"failed"].toInt(); failed > 0)
        text += QStringLiteral(" <b>%1 task(s) failed</b>; the others completed.").arg(failed);
    return text;
}

std::unique_ptr<Scenario> makePools()
{
    return std::make_unique<Pools>();
}

} // namespace tl
