#include "resulttable.h"
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

namespace {
struct Params {
    Executor executor = Executor::Threads;
    int workers = 0;
    WorkParams work;
    bool gil = false;
    std::chrono::milliseconds switchInterval {};
    bool killOne = false;
};
const ParamTable<Params> kParams {
    param(&Params::executor,
        ParamSpec::choice(QStringLiteral("executor"),
            { QStringLiteral("sequential"), QStringLiteral("threads"), QStringLiteral("processes") },
            int(Executor::Threads),
            QStringLiteral("threads: a QThreadPool (ThreadPoolExecutor); processes: a pool of worker processes "
                           "(ProcessPoolExecutor); sequential: only the one-by-one baseline"))),
    param(&Params::workers,
        ParamSpec::integer(QStringLiteral("workers"), 2, 1, 32, QStringLiteral("Threads or processes in the pool"))),
    paramGroup(&Params::work, workParams()),
    param(&Params::gil,
        ParamSpec::boolean(QStringLiteral("gil"), false,
            QStringLiteral("threads: hold a simulated global interpreter lock while on the CPU, as CPython does"))),
    param(&Params::switchInterval, switchIntervalParam()),
    param(&Params::killOne, Children::killOneParam()),
};

struct Results {
    QString executor;
    double sequentialMs = 0;
    double wallMs = 0;
    double speedup = 0;
    int succeeded = 0;
    int failed = 0;
    QJsonObject executors; // by executor name: BatchOutcome::toJson()
    std::optional<QJsonObject> server;
};
const ResultTable<Results> kResults {
    result(&Results::executor, QStringLiteral("executor")),
    result(&Results::sequentialMs, QStringLiteral("sequential_ms")),
    result(&Results::wallMs, QStringLiteral("wall_ms")),
    result(&Results::speedup, QStringLiteral("speedup")),
    result(&Results::succeeded, QStringLiteral("succeeded")),
    result(&Results::failed, QStringLiteral("failed")),
    result(&Results::executors, QStringLiteral("executors")),
    result(&Results::server, QStringLiteral("server")),
};

// A download the server did not answer is not a lesson of this scenario: the run fails, and says why.
void failOnServerErrors(const RunContext& ctx, const std::vector<const BatchOutcome*>& batches)
{
    int serverFailures = 0;
    QString example;
    for (const BatchOutcome* b : batches)
        for (const auto& t : b->tasks)
            if (t.error.startsWith(u"GET ") && ++serverFailures == 1)
                example = t.error;
    if (serverFailures > 0 && !ctx.stopRequested())
        throw std::runtime_error(
            QStringLiteral("%1 download(s) failed (%2)").arg(serverFailures).arg(example).toStdString());
}

// The seed's executors: one batch of CPU-bound (factorials) or I/O-bound (HTTP GETs) tasks run one by one,
// then by a thread pool or a process pool; wall time, speed-up, per-task latency and pool overhead.
class PoolSpeedup final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("pools"),
            .title = QStringLiteral("Thread pool vs process pool"),
            .summary
            = QStringLiteral("One batch of CPU-bound or I/O-bound tasks, one by one and then in a pool: the speed-up"),
            .topic
            = QStringLiteral("ThreadPoolExecutor / ProcessPoolExecutor; web scraping (I/O) and factorials (CPU)"),
            .params = kParams.specs(),
            .results = kResults.keys() + BatchOutcome::figureOrder(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        PoolBench bench(ctx, p.work);
        const Workload& work = bench.work();

        const BatchOutcome baseline = bench.sequential.run(work, bench.progress);
        BatchOutcome batch = baseline;
        if (p.executor == Executor::Threads && !ctx.stopRequested()) {
            ThreadPoolExecutor pool(ctx, p.workers);
            const auto gil = p.gil ? makeGil(ctx, p.switchInterval) : nullptr;
            batch = pool.run(work, p.workers, gil.get(), bench.progress);
        } else if (p.executor == Executor::Processes && !ctx.stopRequested()) {
            Children children(ctx, info().name);
            runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder&) {
                ProcessPoolExecutor pool(ctx, children, p.workers, work);
                batch = pool.run(work, p.workers, bench.progress, p.killOne);
            });
        }

        const bool pooled = p.executor != Executor::Sequential;
        Results r {
            .executor = executorName(p.executor),
            .sequentialMs = double(baseline.wallNs) / 1e6,
            .wallMs = double(batch.wallNs) / 1e6,
            .speedup = speedup(baseline, batch),
            .succeeded = batch.succeeded(),
            .failed = int(batch.tasks.size()) - batch.succeeded(),
            .executors = { { executorName(Executor::Sequential), baseline.toJson(!pooled) } },
            .server = bench.server(),
        };
        if (pooled)
            r.executors.insert(r.executor, batch.toJson(true));
        kResults.report(ctx, r);
        std::vector<const BatchOutcome*> batches { &baseline };
        if (pooled)
            batches.push_back(&batch);
        failOnServerErrors(ctx, batches);
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        return role == u"pool-worker" ? runPoolWorker(child) : Scenario::runChild(role, child);
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Params p = kParams.fromSummary(summary);
        const Results r = kResults.fromSummary(summary);
        const QString& executor = r.executor;
        const bool cpu = p.work.kind == WorkKind::Cpu;
        const QJsonObject batch = r.executors[executor].toObject();
        const double speed = r.speedup;
        // The first bold phrase makes the slide's headline: the pool's speed-up, or this time if there is no pool.
        const QString oneByOne = QStringLiteral("%1 ms").arg(r.sequentialMs, 0, 'f', 0);
        QString text
            = QStringLiteral("%1 %2 tasks one by one took %3. ")
                  .arg(QString::number(p.work.tasks), cpu ? QStringLiteral("factorial") : QStringLiteral("download"),
                      executor == executorName(Executor::Sequential) ? QStringLiteral("<b>%1</b>").arg(oneByOne)
                                                                     : oneByOne);
        if (executor == executorName(Executor::Sequential))
            return text + QStringLiteral("Pick threads or processes to see what a pool does with the same batch.");
        const bool gil = p.gil && executor == executorName(Executor::Threads);
        text += QStringLiteral("%1 %2%3 took <b>%4 ms: %5× as fast as one by one</b>. ")
                    .arg(QString::number(p.workers), executor,
                        gil ? QStringLiteral(" holding a simulated GIL") : QString())
                    .arg(r.wallMs, 0, 'f', 0)
                    .arg(speed, 0, 'f', 2);
        const Gain gain = gainOf(speed);
        if (cpu && gil && gain == Gain::Clear)
            text
                += QStringLiteral("With the GIL only one thread should compute at a time, yet this run gained %1×: the "
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
            text += QStringLiteral(
                "The waits for the server should overlap, and here they barely did: the server or the "
                "machine was the limit; try a longer delay_ms. ");
        text
            += QStringLiteral("Each task waited %1 ms in the queue on average and took %2 ms from hand-over to result.")
                   .arg(batch[u"mean_queue_ms"].toDouble(), 0, 'f', 1)
                   .arg(batch[u"mean_latency_ms"].toDouble(), 0, 'f', 1);
        if (batch.contains(u"startup_ms"))
            text += QStringLiteral(" Starting the worker processes took up to %1 ms before the first task.")
                        .arg(batch[u"startup_ms"].toDouble(), 0, 'f', 1);
        if (r.failed > 0)
            text += QStringLiteral(" <b>%1 task(s) failed</b>; the others completed.").arg(r.failed);
        return text;
    }
};
}

std::unique_ptr<Scenario> makePoolSpeedup()
{
    return std::make_unique<PoolSpeedup>();
}

} // namespace tl
