#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../run/workers.h"

#include <QJsonArray>

namespace tl {

namespace {
enum LockChoice : int { Mutex, Spinlock };
const QStringList kLockChoices { QStringLiteral("mutex"), QStringLiteral("spinlock") }; // by LockChoice

struct Params {
    int workers = 0;
    std::int64_t iterations = 0;
    std::chrono::microseconds work {};
    std::chrono::microseconds hold {};
    LockChoice lock = Mutex;
};
const ParamTable<Params> kParams {
    param(&Params::workers,
        ParamSpec::integer(QStringLiteral("workers"), 4, 1, 64, QStringLiteral("Threads competing for the lock"))),
    param(&Params::iterations,
        ParamSpec::integer(
            QStringLiteral("iterations"), 2000, 1, 1'000'000, QStringLiteral("Work + lock cycles per worker"))),
    param(&Params::work,
        ParamSpec::integer(QStringLiteral("work_us"), 20, 0, 100'000,
            QStringLiteral("CPU work outside the lock per iteration"), QStringLiteral("µs"))),
    param(&Params::hold,
        ParamSpec::integer(QStringLiteral("hold_us"), 10, 0, 100'000,
            QStringLiteral("CPU work inside the lock per iteration"), QStringLiteral("µs"))),
    param(&Params::lock,
        ParamSpec::choice(QStringLiteral("lock"), kLockChoices, Mutex,
            QStringLiteral("mutex: waiters sleep in the kernel; spinlock: waiters burn CPU polling"))),
};

struct Results {
    qint64 acquisitions = 0;
    double throughputPerS = 0;
    double contention = 0; // the share of the workers' time spent waiting for the lock
};
const ResultTable<Results> kResults {
    result(&Results::acquisitions, QStringLiteral("acquisitions")),
    result(&Results::throughputPerS, QStringLiteral("throughput_per_s")),
    result(&Results::contention, QStringLiteral("contention")),
};

// Workers alternate work outside a lock with a critical section inside it; shows who waits and how long.
class LockContention final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("lock-contention"),
            .title = QStringLiteral("Lock contention"),
            .summary = QStringLiteral("Workers work, then take one lock and hold it; see who waits and for how long"),
            .topic = QStringLiteral("Race conditions and locks: the cost of synchronisation"),
            .params = kParams.specs(),
            .results = kResults.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const LockKind kind = p.lock == Mutex ? LockKind::Mutex : LockKind::Spin;

        InstrumentedLock& lock = ctx.addLock(QStringLiteral("shared"), kind);
        const auto workers = addWorkers(ctx, p.workers, QStringLiteral("worker"));
        std::vector<LockStats> stats(workers.size());

        const std::int64_t started = clock::monotonicNs();
        runWorkers(ctx, Backend::StdThread, workers, [&](std::uint32_t worker, Recorder& rec) {
            const std::size_t index = worker - workers.front();
            for (std::int64_t i = 0; i < p.iterations && !ctx.stopRequested(); ++i) {
                burnCpu(ctx, p.work);
                InstrumentedGuard guard(lock, rec, stats[index], kind);
                burnCpu(ctx, p.hold);
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
        kResults.report(ctx,
            {
                .acquisitions = qint64(acquisitions),
                .throughputPerS = wall > 0 ? double(acquisitions) * 1e9 / double(wall) : 0.0,
                .contention = lived > 0 ? double(waited) / double(lived) : 0.0,
            });
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Params p = kParams.fromSummary(summary);
        const Results r = kResults.fromSummary(summary);
        const QJsonArray workers = summary[u"workers"].toArray();
        QString longestName;
        double longest = -1;
        for (const auto& w : workers) {
            if (w[u"longest_wait_ns"].toDouble() > longest) {
                longest = w[u"longest_wait_ns"].toDouble();
                longestName = w[u"name"].toString();
            }
        }
        const double work = double(p.work.count());
        const double hold = double(p.hold.count());
        // The bold sentence is the slide's headline: it names what it speaks of.
        QString text = QStringLiteral("%1 workers took the %2 %3 times (%4 per second). <b>The workers spent %5 of "
                                      "their time waiting for the %2</b>; %6 had the longest single wait, %7.")
                           .arg(workers.size())
                           .arg(kLockChoices.value(p.lock), groupedNumber(r.acquisitions),
                               groupedNumber(qRound64(r.throughputPerS)), percent(r.contention), longestName,
                               formatDuration(longest));
        if (hold > 0) {
            // Each worker needs the lock hold/(work+hold) of the time, so about (work+hold)/hold workers saturate
            // it.
            text += QStringLiteral(" With %1 µs of work for every %2 µs inside the lock, about %3 workers keep the "
                                   "lock busy; more than that only queue up.")
                        .arg(work)
                        .arg(hold)
                        .arg((work + hold) / hold, 0, 'f', 1);
        }
        if (p.lock == Spinlock)
            text += QStringLiteral(
                " Spinlock waiters keep polling, so their waiting burns CPU that others could have used.");
        return text;
    }
};
}

std::unique_ptr<Scenario> makeLockContention()
{
    return std::make_unique<LockContention>();
}

} // namespace tl
