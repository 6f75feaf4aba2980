#include "scenario.h"

#include "../run/workers.h"

#include <QJsonArray>

namespace tl {

// Workers alternate work outside a lock with a critical section inside it; shows who waits and how long.
class LockContention : public Scenario {
public:
    enum LockChoice { Mutex, Spinlock };

    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

ScenarioInfo LockContention::info() const
{
    return {
        QStringLiteral("lock-contention"),
        QStringLiteral("Lock contention"),
        QStringLiteral("Workers work, then take one lock and hold it; see who waits and for how long"),
        QStringLiteral("Race conditions and locks: the cost of synchronisation"),
        {
            ParamSpec::integer(QStringLiteral("workers"), 4, 1, 64, QStringLiteral("Threads competing for the lock")),
            ParamSpec::integer(
                QStringLiteral("iterations"), 2000, 1, 1'000'000, QStringLiteral("Work + lock cycles per worker")),
            ParamSpec::integer(QStringLiteral("work_us"), 20, 0, 100'000,
                QStringLiteral("CPU work outside the lock per iteration"), QStringLiteral("µs")),
            ParamSpec::integer(QStringLiteral("hold_us"), 10, 0, 100'000,
                QStringLiteral("CPU work inside the lock per iteration"), QStringLiteral("µs")),
            ParamSpec::choice(QStringLiteral("lock"), { QStringLiteral("mutex"), QStringLiteral("spinlock") }, Mutex,
                QStringLiteral("mutex: waiters sleep in the kernel; spinlock: waiters burn CPU polling")),
        },
        ScenarioInfo::Chart::None,
        { QStringLiteral("acquisitions"), QStringLiteral("throughput_per_s"), QStringLiteral("contention") },
    };
}

void LockContention::run(RunContext& ctx)
{
    const int workerCount = int(ctx.value(QStringLiteral("workers")));
    const std::int64_t iterations = ctx.value(QStringLiteral("iterations"));
    const std::chrono::microseconds work(ctx.value(QStringLiteral("work_us")));
    const std::chrono::microseconds hold(ctx.value(QStringLiteral("hold_us")));
    const LockKind kind = ctx.value(QStringLiteral("lock")) == Mutex ? LockKind::Mutex : LockKind::Spin;

    InstrumentedLock& lock = ctx.addLock(QStringLiteral("shared"), kind);
    const auto workers = addWorkers(ctx, workerCount, QStringLiteral("worker"));
    std::vector<LockStats> stats(workers.size());

    const std::int64_t started = clock::monotonicNs();
    runWorkers(ctx, Backend::StdThread, workers, [&](std::uint32_t worker, Recorder& rec) {
        const std::size_t index = worker - workers.front();
        for (std::int64_t i = 0; i < iterations && !ctx.stopRequested(); ++i) {
            burnCpu(ctx, work);
            InstrumentedGuard guard(lock, rec, stats[index], kind);
            burnCpu(ctx, hold);
        }
    });
    const std::int64_t wall = clock::monotonicNs() - started;

    const auto figures = ctx.workerFigures();
    std::int64_t waited = 0;
    std::int64_t lived = 0;
    std::int64_t acquisitions = 0;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        reportLockStats(ctx, workers[i], stats[i]);
        waited += clock::ticksToNs(stats[i].waitTicks);
        lived += figures[workers[i]][QStringLiteral("elapsed_ns")].toInteger();
        acquisitions += stats[i].acquisitions;
    }
    // Contention: the share of the workers' time spent waiting for the lock.
    ctx.setResult(QStringLiteral("contention"), lived > 0 ? double(waited) / double(lived) : 0.0);
    ctx.setResult(QStringLiteral("throughput_per_s"), wall > 0 ? double(acquisitions) * 1e9 / double(wall) : 0.0);
    ctx.setResult(QStringLiteral("acquisitions"), qint64(acquisitions));
}

QString LockContention::describeOutcome(const QJsonObject& summary) const
{
    const QJsonObject params = summary[u"params"].toObject();
    const QJsonObject results = summary[u"results"].toObject();
    const QJsonArray workers = summary[u"workers"].toArray();
    QString longestName;
    double longest = -1;
    for (const auto& w : workers) {
        if (w[u"longest_wait_ns"].toDouble() > longest) {
            longest = w[u"longest_wait_ns"].toDouble();
            longestName = w[u"name"].toString();
        }
    }
    const double work = params[u"work_us"].toDouble();
    const double hold = params[u"hold_us"].toDouble();
    // The bold sentence is the slide's headline: it names what it speaks of.
    QString text = QStringLiteral("%1 workers took the %2 %3 times (%4 per second). <b>The workers spent %5 of their "
                                  "time waiting for the %2</b>; %6 had the longest single wait, %7.")
                       .arg(workers.size())
                       .arg(params[u"lock"].toString(), groupedNumber(results[u"acquisitions"].toInteger()),
                           groupedNumber(qint64(results[u"throughput_per_s"].toDouble())),
                           percent(results[u"contention"].toDouble()), longestName, formatDuration(longest));
    if (hold > 0) {
        // Each worker needs the lock hold/(work+hold) of the time, so about (work+hold)/hold workers saturate it.
        text += QStringLiteral(" With %1 µs of work for every %2 µs inside the lock, about %3 workers keep the lock "
                               "busy; more than that only queue up.")
                    .arg(work)
                    .arg(hold)
                    .arg((work + hold) / hold, 0, 'f', 1);
    }
    if (params[u"lock"].toString() == u"spinlock")
        text += QStringLiteral(
            " Spinlock waiters keep polling, so their waiting burns CPU that others could have used.");
    return text;
}

std::unique_ptr<Scenario> makeLockContention()
{
    return std::make_unique<LockContention>();
}

} // namespace tl
