#include "lockcontention.h"

#include "../run/workers.h"

namespace tl {

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
    std::vector<std::int64_t> lifetimes(workers.size());

    const std::int64_t started = clock::monotonicNs();
    runWorkers(ctx, Backend::StdThread, workers, [&](std::uint32_t worker, Recorder& rec) {
        const std::size_t index = worker - workers.front();
        const std::int64_t begin = clock::monotonicNs();
        for (std::int64_t i = 0; i < iterations && !ctx.stopRequested(); ++i) {
            burnCpu(ctx, work);
            InstrumentedGuard guard(lock, rec, stats[index], kind);
            burnCpu(ctx, hold);
        }
        lifetimes[index] = clock::monotonicNs() - begin;
    });
    const std::int64_t wall = clock::monotonicNs() - started;

    std::int64_t waited = 0;
    std::int64_t lived = 0;
    std::int64_t acquisitions = 0;
    for (std::size_t i = 0; i < workers.size(); ++i) {
        reportLockStats(ctx, workers[i], stats[i]);
        waited += clock::ticksToNs(stats[i].waitTicks);
        lived += lifetimes[i];
        acquisitions += stats[i].acquisitions;
    }
    // Contention: the share of the workers' time spent waiting for the lock.
    ctx.setResult(QStringLiteral("contention"), lived > 0 ? double(waited) / double(lived) : 0.0);
    ctx.setResult(QStringLiteral("throughput_per_s"), wall > 0 ? double(acquisitions) * 1e9 / double(wall) : 0.0);
    ctx.setResult(QStringLiteral("acquisitions"), qint64(acquisitions));
}

} // namespace tl
