#include "racecounter.h"

#include "../run/workers.h"

#include <QJsonArray>

namespace tl {

namespace {
// One inspected increment: the value it read, and the value its write replaced. Had nobody written in
// between, those are equal; when they differ, overwritten − read updates of other workers were lost.
struct CounterAccess {
    std::uint32_t worker; // index among the scenario's workers
    std::int64_t read;
    std::int64_t overwritten;
    std::int64_t readNs;
    std::int64_t writeNs;
};
constexpr int kListedLostUpdates = 200;

// Lists every write that wiped out other workers' updates. The writes' overwritten values chain through
// the counter's modification order, so the lost counts add up exactly to expected − actual.
void reportLostUpdates(
    RunContext& ctx, const std::vector<std::vector<CounterAccess>>& accesses, const std::vector<QString>& names)
{
    std::vector<CounterAccess> all;
    for (const auto& log : accesses)
        all.insert(all.end(), log.begin(), log.end());
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.writeNs < b.writeNs; });
    std::int64_t lost = 0;
    QJsonArray list;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const CounterAccess& w = all[i];
        const std::int64_t wiped = w.overwritten - w.read;
        lost += wiped;
        if (wiped <= 0 || list.size() >= kListedLostUpdates)
            continue;
        // Whose write was overwritten: the latest earlier write of that value, for the picture.
        QString victim;
        std::int64_t from = w.readNs;
        for (std::size_t j = i; j-- > 0;) {
            if (all[j].read + 1 == w.overwritten && all[j].writeNs <= w.writeNs) {
                victim = names[all[j].worker];
                from = std::min(from, all[j].readNs);
                break;
            }
        }
        list.append(
            QJsonObject { { QStringLiteral("writer"), names[w.worker] }, { QStringLiteral("read"), qint64(w.read) },
                { QStringLiteral("wrote"), qint64(w.read + 1) }, { QStringLiteral("overwrote"), qint64(w.overwritten) },
                { QStringLiteral("written_by"), victim.isEmpty() ? QStringLiteral("?") : victim },
                { QStringLiteral("lost"), qint64(wiped) }, { QStringLiteral("from_ns"), qint64(from) },
                { QStringLiteral("to_ns"), qint64(w.writeNs) } });
    }
    ctx.setResult(QStringLiteral("inspected_increments"), qint64(all.size()));
    ctx.setResult(QStringLiteral("inspected_lost_updates"), qint64(lost));
    ctx.setResult(QStringLiteral("lost_update_list"), list);
}
}

ScenarioInfo RaceCounter::info() const
{
    return {
        QStringLiteral("race-counter"),
        QStringLiteral("Race on a shared counter"),
        QStringLiteral("Workers increment one counter; switch the lock off and updates get lost"),
        QStringLiteral("Thread data sharing with synchronization (5 threads x 100000 = 500000)"),
        {
            ParamSpec::integer(QStringLiteral("workers"), 5, 1, 64, QStringLiteral("Threads incrementing the counter")),
            ParamSpec::integer(QStringLiteral("increments"), 100000, 1, 10'000'000,
                QStringLiteral("How many times each worker adds 1")),
            ParamSpec::choice(QStringLiteral("lock"),
                { QStringLiteral("none"), QStringLiteral("mutex"), QStringLiteral("atomic") }, Mutex,
                QStringLiteral("none: read, add, write with no protection (updates get lost); mutex: the same "
                               "inside a std::mutex; atomic: one fetch_add"))
                .changeableWhileRunning(),
            ParamSpec::choice(QStringLiteral("backend"),
                { QStringLiteral("std-thread"), QStringLiteral("qthreadpool") }, StdThread,
                QStringLiteral("One std::thread per worker, or a QThreadPool sized to the workers")),
            ParamSpec::integer(QStringLiteral("inspect"), 0, 0, 100'000,
                QStringLiteral("Lost-update inspector: record every read and write of the first this many increments "
                               "of each worker (and stop there), then list each lost update (0 = off)")),
            ParamSpec::integer(QStringLiteral("slow_motion"), 0, 0, 100'000,
                QStringLiteral("Sleep this long between reading and writing the counter, widening the race "
                               "window (0 = off)"),
                QStringLiteral("µs"))
                .changeableWhileRunning(),
        },
    };
}

void RaceCounter::run(RunContext& ctx)
{
    const int workerCount = int(ctx.value(QStringLiteral("workers")));
    const std::int64_t inspect = ctx.value(QStringLiteral("inspect"));
    const std::int64_t increments = inspect > 0 ? std::min(inspect, ctx.value(QStringLiteral("increments")))
                                                : ctx.value(QStringLiteral("increments"));
    const auto& lockMode = ctx.param(QStringLiteral("lock"));
    const auto& slowMotionUs = ctx.param(QStringLiteral("slow_motion"));
    const auto backend = ctx.value(QStringLiteral("backend")) == StdThread ? Backend::StdThread : Backend::ThreadPool;

    // The counter is an atomic so that the unprotected mode is a well-defined race (relaxed load, then store),
    // not undefined behaviour that the optimiser may fold into one addition.
    std::atomic<std::int64_t> counter { 0 };
    // One cache line per worker, so progress reports do not contend with each other.
    struct alignas(64) Progress {
        std::atomic<std::int64_t> done { 0 };
    };
    std::vector<Progress> progress(static_cast<std::size_t>(workerCount));
    InstrumentedLock& lock = ctx.addLock(QStringLiteral("counter"), LockKind::Mutex);

    auto expected = [&] {
        std::int64_t sum = 0;
        for (const auto& p : progress)
            sum += p.done.load(std::memory_order_relaxed);
        return sum;
    };
    const auto expectedCounter = ctx.addCounter(QStringLiteral("expected"), expected);
    const auto actualCounter
        = ctx.addCounter(QStringLiteral("actual"), [&] { return counter.load(std::memory_order_relaxed); });
    // Progress counts an increment as it starts, and the counter is read before the progress: the counter
    // can only hold values written by increments already counted, so the live figure never goes negative.
    const auto lostCounter = ctx.addCounter(QStringLiteral("lost_updates"), [&] {
        const std::int64_t actual = counter.load(std::memory_order_relaxed);
        return expected() - actual;
    });

    const auto workers = addWorkers(ctx, workerCount, QStringLiteral("worker"));
    std::vector<LockStats> stats(workers.size());
    std::vector<std::vector<CounterAccess>> accesses(workers.size());
    runWorkers(ctx, backend, workers, [&](std::uint32_t worker, Recorder& rec) {
        const std::size_t index = worker - workers.front();
        LockStats& mine = stats[index];
        std::atomic<std::int64_t>& done = progress[index].done;
        std::vector<CounterAccess>& log = accesses[index];
        log.reserve(std::size_t(inspect));
        for (std::int64_t i = 0; i < increments && !ctx.stopRequested(); ++i) {
            done.store(i + 1, std::memory_order_relaxed);
            const auto mode = lockMode.load(std::memory_order_relaxed);
            if (mode == Atomic) {
                const std::int64_t seen = counter.fetch_add(1, std::memory_order_relaxed);
                if (inspect > 0)
                    log.push_back({ std::uint32_t(index), seen, seen, 0, 0 });
            } else {
                InstrumentedGuard guard(lock, rec, mine, mode == Mutex ? LockKind::Mutex : LockKind::None);
                const std::int64_t readNs = inspect > 0 ? clock::monotonicNs() : 0;
                const std::int64_t seen = counter.load(std::memory_order_relaxed);
                if (const auto us = slowMotionUs.load(std::memory_order_relaxed); us > 0)
                    ctx.sleepFor(std::chrono::microseconds(us), rec);
                if (inspect > 0) {
                    // The same unprotected write, made with exchange so it also tells what it overwrote.
                    const std::int64_t overwritten = counter.exchange(seen + 1, std::memory_order_relaxed);
                    log.push_back({ std::uint32_t(index), seen, overwritten, readNs, clock::monotonicNs() });
                } else {
                    counter.store(seen + 1, std::memory_order_relaxed);
                }
            }
        }
    });
    if (inspect > 0) {
        std::vector<QString> names;
        for (const auto w : workers)
            names.push_back(ctx.workers()[w].name);
        reportLostUpdates(ctx, accesses, names);
    }

    const std::int64_t expectedTotal = expected();
    const std::int64_t actual = counter.load();
    for (std::size_t i = 0; i < workers.size(); ++i) {
        reportLockStats(ctx, workers[i], stats[i]);
        ctx.setWorkerFigure(workers[i], QStringLiteral("increments"), qint64(progress[i].done.load()));
    }
    ctx.setResult(QStringLiteral("expected"), qint64(expectedTotal));
    ctx.setResult(QStringLiteral("actual"), qint64(actual));
    ctx.setResult(QStringLiteral("lost_updates"), qint64(expectedTotal - actual));
}

QString RaceCounter::describeOutcome(const QJsonObject& summary) const
{
    const QJsonObject results = summary[u"results"].toObject();
    const QJsonArray workers = summary[u"workers"].toArray();
    const QString lock = summary[u"params"].toObject()[u"lock"].toString();
    const qint64 expected = results[u"expected"].toInteger();
    const qint64 actual = results[u"actual"].toInteger();
    const qint64 lost = results[u"lost_updates"].toInteger();
    double waited = 0, elapsed = 0, longest = 0;
    for (const auto& w : workers) {
        waited += w[u"wait_ns"].toDouble();
        elapsed += w[u"elapsed_ns"].toDouble();
        longest = std::max(longest, w[u"longest_wait_ns"].toDouble());
    }

    QString text;
    if (lost > 0) {
        text = QStringLiteral("<b>%1 of %2 updates were lost (%3).</b> %4 workers each read the counter, added 1 and "
                              "wrote it back; whenever two of them read the same value, one write overwrote the "
                              "other. The counter ended at %5 instead of %2.")
                   .arg(groupedNumber(lost), groupedNumber(expected), percent(double(lost) / double(expected)))
                   .arg(workers.size())
                   .arg(groupedNumber(actual));
        if (lock != u"none")
            text += QStringLiteral(" The lock was switched off for part of the run: those increments raced.");
    } else if (lock == u"mutex") {
        text
            = QStringLiteral("<b>No update was lost:</b> %1 increments, counter %2. The mutex let one worker at a time "
                             "read, add and write. The price was waiting: the workers spent %3 of their time waiting "
                             "for the lock (longest single wait %4).")
                  .arg(groupedNumber(expected), groupedNumber(actual), percent(elapsed > 0 ? waited / elapsed : 0),
                      formatDuration(longest));
    } else if (lock == u"atomic") {
        text = QStringLiteral(
            "<b>No update was lost:</b> %1 increments, counter %2. fetch_add makes read, add and write "
            "one indivisible step, with no lock to wait for.")
                   .arg(groupedNumber(expected), groupedNumber(actual));
    } else {
        text = QStringLiteral(
            "No update was lost this time (%1 increments), but nothing prevented it: the workers barely "
            "overlapped. Raise the increments or the workers, or turn on slow motion.")
                   .arg(groupedNumber(expected));
    }
    if (results.contains(u"inspected_lost_updates") && lost > 0)
        text += QStringLiteral(" The inspector recorded every read and write and found all %1 lost updates: each "
                               "row of lost_update_list is one write that overwrote others' (click <i>show</i> to "
                               "see that interleaving on the timeline).")
                    .arg(groupedNumber(results[u"inspected_lost_updates"].toInteger()));
    return text;
}

} // namespace tl
