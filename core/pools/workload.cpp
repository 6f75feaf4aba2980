#include "workload.h"

#include "httpget.h"

#include "simulatedgil.h"

namespace tl {

QList<ParamSpec> workParams()
{
    return {
        ParamSpec::choice(QStringLiteral("work"), { QStringLiteral("cpu"), QStringLiteral("io") }, 0,
            QStringLiteral("cpu: each task computes an exact factorial of a large number (GMP), the seed's "
                           "factorial use case; io: each task GETs a page from a local HTTP server that answers "
                           "after a delay, the seed's web-scraping use case")),
        ParamSpec::integer(QStringLiteral("tasks"), 8, 1, 256, QStringLiteral("Tasks in the batch")),
        ParamSpec::integer(QStringLiteral("number"), 20000, 1000, 200'000,
            QStringLiteral("cpu: task i computes (number + i)! exactly; 20000! has 77 338 digits")),
        ParamSpec::integer(QStringLiteral("delay_ms"), 100, 0, 10'000,
            QStringLiteral("io: how long the HTTP server waits before it answers each request"), QStringLiteral("ms")),
        ParamSpec::integer(QStringLiteral("response_kb"), 16, 0, 65'536, QStringLiteral("io: size of each answer"),
            QStringLiteral("KiB")),
    };
}

ParamSpec switchIntervalParam()
{
    return ParamSpec::integer(QStringLiteral("switch_interval_ms"), 5, 1, 1000,
        QStringLiteral("How long a thread may keep the simulated GIL while others wait for it (CPython: 5 ms, "
                       "sys.setswitchinterval)"),
        QStringLiteral("ms"));
}

std::unique_ptr<SimulatedGil> makeGil(RunContext& ctx)
{
    return std::make_unique<SimulatedGil>(ctx.addExternalLock(QStringLiteral("GIL")),
        std::chrono::milliseconds(ctx.value(QStringLiteral("switch_interval_ms"))),
        [&ctx] { return ctx.stopRequested(); });
}

ProgressCounters addProgressCounters(RunContext& ctx, const PoolProgress& progress)
{
    return { ctx.addCounter(QStringLiteral("tasks waiting"), [&progress] { return progress.waiting.load(); }),
        ctx.addCounter(QStringLiteral("tasks done"), [&progress] { return progress.done.load(); }) };
}

PreparedWork::PreparedWork(const RunContext& ctx)
{
    work.kind = ctx.value(QStringLiteral("work")) == 0 ? WorkKind::Cpu : WorkKind::Io;
    work.tasks = int(ctx.value(QStringLiteral("tasks")));
    work.number = ctx.value(QStringLiteral("number"));
    if (work.kind == WorkKind::Io) {
        const auto delay = std::chrono::milliseconds(ctx.value(QStringLiteral("delay_ms")));
        server = std::make_unique<LoopbackHttpServer>(delay, ctx.value(QStringLiteral("response_kb")) * 1024);
        work.url = QUrl(server->url().toString() + QStringLiteral("page/"));
        work.timeout = delay + std::chrono::seconds(30);
    }
}

QJsonObject PreparedWork::serverJson() const
{
    if (!server)
        return {};
    return { { QStringLiteral("url"), shownUrl(server->url()) },
        { QStringLiteral("requests_served"), server->requestsServed() } };
}

double speedup(const BatchOutcome& baseline, const BatchOutcome& batch)
{
    const bool complete
        = baseline.succeeded() == int(baseline.tasks.size()) && batch.succeeded() == int(batch.tasks.size());
    return complete && batch.wallNs > 0 ? double(baseline.wallNs) / double(batch.wallNs) : 0.0;
}

} // namespace tl
