#include "workload.h"

#include "httpget.h"

#include "simulatedgil.h"

namespace tl {

const ParamTable<WorkParams>& workParams()
{
    static const ParamTable<WorkParams> table {
        param(&WorkParams::kind,
            ParamSpec::choice(QStringLiteral("work"), { QStringLiteral("cpu"), QStringLiteral("io") }, 0,
                QStringLiteral("cpu: each task computes an exact factorial of a large number (GMP), the seed's "
                               "factorial use case; io: each task GETs a page from a local HTTP server that answers "
                               "after a delay, the seed's web-scraping use case"))),
        param(&WorkParams::tasks,
            ParamSpec::integer(QStringLiteral("tasks"), 8, 1, 256, QStringLiteral("Tasks in the batch"))),
        param(&WorkParams::number,
            ParamSpec::integer(QStringLiteral("number"), 20000, 1000, 200'000,
                QStringLiteral("cpu: task i computes (number + i)! exactly; 20000! has 77 338 digits"))),
        param(&WorkParams::delay,
            ParamSpec::integer(QStringLiteral("delay_ms"), 100, 0, 10'000,
                QStringLiteral("io: how long the HTTP server waits before it answers each request"),
                QStringLiteral("ms"))),
        param(&WorkParams::responseKb,
            ParamSpec::integer(QStringLiteral("response_kb"), 16, 0, 65'536, QStringLiteral("io: size of each answer"),
                QStringLiteral("KiB"))),
    };
    return table;
}

ParamSpec switchIntervalParam()
{
    return ParamSpec::integer(QStringLiteral("switch_interval_ms"), 5, 1, 1000,
        QStringLiteral("How long a thread may keep the simulated GIL while others wait for it (CPython: 5 ms, "
                       "sys.setswitchinterval)"),
        QStringLiteral("ms"));
}

std::unique_ptr<SimulatedGil> makeGil(RunContext& ctx, std::chrono::milliseconds switchInterval)
{
    return std::make_unique<SimulatedGil>(
        ctx.addExternalLock(QStringLiteral("GIL")), switchInterval, [&ctx] { return ctx.stopRequested(); });
}

ProgressCounters addProgressCounters(RunContext& ctx, const PoolProgress& progress)
{
    return { ctx.addCounter(QStringLiteral("tasks waiting"), [&progress] { return progress.waiting.load(); }),
        ctx.addCounter(QStringLiteral("tasks done"), [&progress] { return progress.done.load(); }) };
}

PreparedWork::PreparedWork(const WorkParams& params)
{
    work.kind = params.kind;
    work.tasks = params.tasks;
    work.number = params.number;
    if (work.kind == WorkKind::Io) {
        server = std::make_unique<LoopbackHttpServer>(params.delay, params.responseKb * 1024);
        work.url = QUrl(server->url().toString() + QStringLiteral("page/"));
        work.timeout = params.delay + std::chrono::seconds(30);
    }
}

QJsonObject PreparedWork::serverJson() const
{
    if (!server)
        return {};
    return { { QStringLiteral("url"), shownUrl(server->url()) },
        { QStringLiteral("requests_served"), server->requestsServed() } };
}

PoolBench::PoolBench(RunContext& ctx, const WorkParams& params)
    : prepared(params)
    , counters(addProgressCounters(ctx, progress))
    , sequential(ctx)
{
}

std::optional<QJsonObject> PoolBench::server() const
{
    if (!prepared.server)
        return std::nullopt;
    return prepared.serverJson();
}

double speedup(const BatchOutcome& baseline, const BatchOutcome& batch)
{
    const bool complete
        = baseline.succeeded() == int(baseline.tasks.size()) && batch.succeeded() == int(batch.tasks.size());
    return complete && batch.wallNs > 0 ? double(baseline.wallNs) / double(batch.wallNs) : 0.0;
}

} // namespace tl
