#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../run/workers.h"

#include <QJsonArray>
#include <random>
#include <thread>

namespace tl {

namespace {
// A cycle must stand this long before it counts as a deadlock: the registry is read without a lock, so a
// snapshot can catch a moment that never was. (Waits that give up at a deadline form no cycle at all.)
constexpr auto kWatchEvery = std::chrono::milliseconds(10);
constexpr int kChecksToConfirm = 3;
constexpr auto kTryLockPatience = std::chrono::milliseconds(2);
constexpr auto kForever = InstrumentedLock::kNoDeadline; // naive: a wait that can be part of a deadlock

enum Variant : int { TwoLocks, Philosophers };
enum Strategy : int { Naive, Ordered, TryLock, ScopedLock };

struct alignas(64) WorkerState {
    std::atomic<std::int64_t> waitingSinceNs { 0 }; // when it began waiting for a lock, 0 when not waiting
    std::int64_t rounds = 0;
};

struct Params {
    Variant variant = TwoLocks;
    int philosophers = 0;
    Strategy strategy = Naive;
    std::int64_t rounds = 0;
    std::chrono::microseconds hold {};
    std::chrono::milliseconds keep {};
};
const ParamTable<Params> kParams {
    param(&Params::variant,
        ParamSpec::choice(QStringLiteral("variant"), { QStringLiteral("two-locks"), QStringLiteral("philosophers") },
            TwoLocks,
            QStringLiteral("two-locks: two workers take lock-A and lock-B in opposite orders; philosophers: N "
                           "philosophers each take the fork on their left, then the one on their right"))),
    param(&Params::philosophers,
        ParamSpec::integer(QStringLiteral("philosophers"), 5, 2, 16, QStringLiteral("philosophers: how many"))),
    param(&Params::strategy,
        ParamSpec::choice(QStringLiteral("strategy"),
            { QStringLiteral("naive"), QStringLiteral("ordered"), QStringLiteral("try-lock"),
                QStringLiteral("scoped-lock") },
            Naive,
            QStringLiteral("naive: first lock, then the second, waiting as long as it takes (can deadlock); "
                           "ordered: always the lower-numbered lock first; try-lock: give the second lock 2 ms, "
                           "else let go of the first and back off; scoped-lock: std::scoped_lock's algorithm "
                           "(take one, try the other, else start over from the other)"))),
    param(&Params::rounds,
        ParamSpec::integer(
            QStringLiteral("rounds"), 200, 1, 100'000, QStringLiteral("How many times each worker takes both locks"))),
    param(&Params::hold,
        ParamSpec::integer(QStringLiteral("hold_us"), 1000, 0, 100'000,
            QStringLiteral("Work done holding the first lock before reaching for the second (and again holding "
                           "both): a wider window for a deadlock"),
            QStringLiteral("µs"))),
    param(&Params::keep,
        ParamSpec::integer(QStringLiteral("keep_ms"), 2000, 0, 600'000,
            QStringLiteral("How long a detected deadlock is left to look at before ThreadLab breaks it (the "
                           "waiting workers give up); Stop breaks it at once"),
            QStringLiteral("ms"))),
};

// A row of `cycle`: one worker of a deadlock. from_ns/to_ns: its wait until the deadlock was found, for the
// window's "show" link.
struct CycleEdge {
    QString worker;
    QString holds;
    QString waitsFor;
    qint64 fromNs = 0;
    qint64 toNs = 0;
};
const ResultTable<CycleEdge> kCycleEdge {
    result(&CycleEdge::worker, QStringLiteral("worker")),
    result(&CycleEdge::holds, QStringLiteral("holds")),
    result(&CycleEdge::waitsFor, QStringLiteral("waits_for")),
    result(&CycleEdge::fromNs, QStringLiteral("from_ns")),
    result(&CycleEdge::toNs, QStringLiteral("to_ns")),
};

// The rounds are known at the end; a deadlock's figures as soon as it is found (they are live results then).
struct Results {
    bool deadlock = false;
    std::optional<double> detectedAfterMs;
    std::optional<QJsonArray> cycle; // of CycleEdge
    std::optional<qint64> roundsDone;
    std::optional<qint64> roundsExpected;
};
const ResultTable<Results> kResults {
    result(&Results::deadlock, QStringLiteral("deadlock")),
    result(&Results::detectedAfterMs, QStringLiteral("detected_after_ms")),
    result(&Results::cycle, QStringLiteral("cycle")),
    result(&Results::roundsDone, QStringLiteral("rounds_done")),
    result(&Results::roundsExpected, QStringLiteral("rounds_expected")),
};
// Each worker's figure: the rounds it finished.
const QString kRoundsFigure = QStringLiteral("rounds");

using TimedEdge = std::pair<LockRegistry::Edge, std::int64_t>; // an edge and since when its worker waits

// The cycle, for the results: who holds what and waits for what, and how long it stood before it was found.
Results describeCycle(const RunContext& ctx, const std::vector<TimedEdge>& cycle)
{
    const auto names = ctx.lockNames();
    const auto infos = ctx.workers();
    std::int64_t formedNs = 0;
    const std::int64_t detectedNs = clock::monotonicNs();
    QJsonArray edges;
    for (std::size_t i = 0; i < cycle.size(); ++i) {
        const auto& [e, since] = cycle[i];
        formedNs = std::max(formedNs, since);
        // Each waits for a lock the next one holds, so it holds the lock the one before waits for.
        const auto& before = cycle[(i + cycle.size() - 1) % cycle.size()].first;
        edges.append(
            kCycleEdge.toObject({ infos[e.worker].name, names[before.lock], names[e.lock], since, detectedNs }));
    }
    Results found;
    found.deadlock = true;
    found.cycle = edges;
    found.detectedAfterMs = double(detectedNs - formedNs) / 1e6;
    return found;
}

// The wait-for graph, watched from outside the workers: a cycle that stands for a few checks is a deadlock.
// Returns it described, or nothing once the workers finished or the run stopped.
std::optional<Results> watchForDeadlock(RunContext& ctx, const std::vector<WorkerState>& state,
    std::uint32_t firstWorker, const std::atomic<bool>& finished)
{
    // A cycle is the same one only if each of its workers is still in the same wait: try-lock workers that
    // collide again and again form the same edges anew each time, which is contention, not a deadlock.
    std::vector<TimedEdge> candidate;
    int seen = 0;
    while (!finished.load() && !ctx.stopRequested()) {
        std::this_thread::sleep_for(kWatchEvery);
        std::vector<TimedEdge> cycle;
        for (const auto& e : LockRegistry::waitCycle(ctx.lockRegistry().snapshot(ctx.workerCount())))
            cycle.emplace_back(e, state[e.worker - firstWorker].waitingSinceNs.load());
        const bool same = !cycle.empty() && cycle.size() == candidate.size()
            && std::is_permutation(cycle.begin(), cycle.end(), candidate.begin(), [](const auto& a, const auto& b) {
                   return a.first.worker == b.first.worker && a.first.lock == b.first.lock && a.second == b.second;
               });
        seen = same ? seen + 1 : (cycle.empty() ? 0 : 1);
        candidate = std::move(cycle);
        if (seen >= kChecksToConfirm)
            return describeCycle(ctx, candidate);
    }
    return std::nullopt;
}

// One worker's rounds: take both locks as the strategy says, hold them a while, let go. Ends early when it
// gives up (`broken`: ThreadLab broke a deadlock; or Stop).
void takeRounds(RunContext& ctx, const Params& settings, std::size_t i, InstrumentedLock* first,
    InstrumentedLock* second, WorkerState& me, LockStats& mine, Recorder& rec, const std::atomic<bool>& broken)
{
    auto giveUp = [&] { return broken.load() || ctx.stopRequested(); };
    std::minstd_rand random(unsigned(i + 1));
    const Strategy strategy = settings.strategy;
    if (strategy == Ordered && first->id() > second->id())
        std::swap(first, second);
    auto take = [&](InstrumentedLock* lock, std::chrono::nanoseconds patience) {
        me.waitingSinceNs = clock::monotonicNs();
        const bool got = lock->lockWithin(rec, mine, patience, giveUp);
        me.waitingSinceNs = 0;
        return got;
    };
    // Takes both locks as the strategy says; false when the worker gave up (Stop, or a broken deadlock).
    auto takeBoth = [&]() -> bool {
        InstrumentedLock* a = first;
        InstrumentedLock* b = second;
        while (!giveUp()) {
            if (!take(a, kForever))
                return false;
            burnCpu(ctx, settings.hold);
            const auto patience = strategy == TryLock ? std::chrono::nanoseconds(kTryLockPatience)
                : strategy == ScopedLock              ? std::chrono::nanoseconds::zero()
                                                      : kForever;
            if (take(b, patience)) {
                first = a;
                second = b;
                return true;
            }
            a->unlock(rec, mine, LockKind::Mutex);
            if (strategy == TryLock) // back off a random while, so the two do not collide again in step
                ctx.sleepFor(std::chrono::microseconds(random() % (settings.hold.count() + 100)), rec);
            else if (strategy == ScopedLock) // start over from the lock that was busy, as std::lock does
                std::swap(a, b);
            else
                return false;
        }
        return false;
    };
    for (std::int64_t r = 0; r < settings.rounds && takeBoth(); ++r) {
        burnCpu(ctx, settings.hold);
        second->unlock(rec, mine, LockKind::Mutex);
        first->unlock(rec, mine, LockKind::Mutex);
        me.rounds = r + 1;
    }
}

// Workers that need two locks at once: two workers taking two locks in opposite orders, or N dining
// philosophers. The naive strategy can deadlock; ThreadLab finds the cycle in the wait-for graph, reports it,
// and later breaks it. Ordering the locks, try-lock with back-off and scoped_lock never deadlock.
class Deadlock final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("deadlock"),
            .title = QStringLiteral("Deadlocks"),
            .summary
            = QStringLiteral("Workers need two locks at once: naive can deadlock, and ThreadLab finds the cycle"),
            .topic = QStringLiteral("Troubleshooting: deadlocks — always release locks, avoid holding multiple locks"),
            .params = kParams.specs(),
            .results = kResults.keys() + kCycleEdge.keys() + QStringList { kRoundsFigure },
        };
    }

    void run(RunContext& ctx) override
    {
        const Params settings = kParams.read(ctx);
        const Variant variant = settings.variant;
        const int n = variant == TwoLocks ? 2 : settings.philosophers;

        std::vector<InstrumentedLock*> locks;
        for (int i = 0; i < n; ++i)
            locks.push_back(&ctx.addLock(variant == TwoLocks ? QStringLiteral("lock-%1").arg(QChar(u'A' + i))
                                                             : QStringLiteral("fork-%1").arg(i + 1),
                LockKind::Mutex));
        const auto workers
            = addWorkers(ctx, n, variant == TwoLocks ? QStringLiteral("Worker") : QStringLiteral("Philosopher"));
        std::vector<WorkerState> state(static_cast<std::size_t>(n));
        std::vector<LockStats> stats(static_cast<std::size_t>(n));
        std::atomic<bool> broken { false }; // ThreadLab broke a deadlock: waiting workers give up

        std::optional<Results> found;
        std::atomic<bool> finished { false };
        std::jthread watcher([&] {
            found = watchForDeadlock(ctx, state, workers.front(), finished);
            if (!found)
                return;
            kResults.forEach(
                *found, [&](const QString& key, const QJsonValue& value) { ctx.setLiveResult(key, value); });
            // Leave it to be seen, then break it (or at once on Stop).
            const auto until = std::chrono::steady_clock::now() + settings.keep;
            while (std::chrono::steady_clock::now() < until && !ctx.stopRequested())
                std::this_thread::sleep_for(kWatchEvery);
            broken = true;
        });

        runWorkers(ctx, Backend::StdThread, workers, [&](std::uint32_t worker, Recorder& rec) {
            const std::size_t i = worker - workers.front();
            // two-locks: worker 1 takes A then B, worker 2 B then A; philosophers: left fork, then right.
            takeRounds(ctx, settings, i, locks[i], locks[(i + 1) % std::size_t(n)], state[i], stats[i], rec, broken);
        });
        finished = true;
        watcher.join();

        std::int64_t done = 0;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            reportLockStats(ctx, workers[i], stats[i]);
            ctx.setWorkerFigure(workers[i], kRoundsFigure, qint64(state[i].rounds));
            done += state[i].rounds;
        }
        Results r = found.value_or(Results());
        r.roundsDone = done;
        r.roundsExpected = settings.rounds * n;
        kResults.report(ctx, r);
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        const Strategy strategy = kParams.fromSummary(summary).strategy;
        const qint64 done = r.roundsDone.value_or(0);
        const qint64 expected = r.roundsExpected.value_or(0);
        if (r.deadlock) {
            QStringList steps;
            for (const auto& e : r.cycle.value_or(QJsonArray())) {
                const CycleEdge edge = kCycleEdge.fromObject(e.toObject());
                steps << QStringLiteral("%1 holds %2 and waits for %3").arg(edge.worker, edge.holds, edge.waitsFor);
            }
            return QStringLiteral(
                "<b>Deadlock</b>, found %1 ms after it formed: %2. Nobody can go on: every one waits "
                "for a lock the next one holds (the red lanes). ThreadLab broke it by making them give "
                "up; %3 of %4 rounds were done. Try <code>ordered</code>, <code>try-lock</code> or "
                "<code>scoped-lock</code>.")
                .arg(r.detectedAfterMs.value_or(0), 0, 'f', 0)
                .arg(steps.join(QStringLiteral("; ")))
                .arg(done)
                .arg(expected);
        }
        const QString why = strategy == Ordered
            ? QStringLiteral("every worker takes the locks in the same order, so no "
                             "cycle of waits can form")
            : strategy == TryLock ? QStringLiteral("a worker that cannot get its second lock soon lets go of the first "
                                                   "and backs off, so a cycle never stands")
            : strategy == ScopedLock ? QStringLiteral("scoped_lock never waits for one lock while holding another: it "
                                                      "takes one, tries the other, and starts over if it is busy")
                                     : QStringLiteral("this time the workers' timing never closed the circle; run it "
                                                      "again or raise hold_us");
        return QStringLiteral("No deadlock: %1 of %2 rounds done — %3.").arg(done).arg(expected).arg(why);
    }
};
}

std::unique_ptr<Scenario> makeDeadlock()
{
    return std::make_unique<Deadlock>();
}

} // namespace tl
