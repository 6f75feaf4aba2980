#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../run/workers.h"
#include "../sync/startbarrier.h"

#include <QJsonArray>
#include <unordered_map>

namespace tl {

namespace {
// Every write to the counter is an exchange: still the same unprotected read-add-write (the race is
// unchanged), but each write learns the value it replaced. Summed over writes, replaced − read telescopes
// to (writes made) − (counter), so each worker can tally the updates its writes wiped out: under mutex and
// atomic that tally is 0 by what happened, not by how it is computed, at every sample.
//
// With the inspector on, the counter also carries the id of the write that made its value (bits 32..63), so
// each write names the write it replaced (the modification order, one chain) and the write it read (who
// built on whom), even where several writes wrote the same number.
constexpr int kIdShift = 32;
constexpr std::int64_t kValueMask = (std::int64_t(1) << kIdShift) - 1;
constexpr std::int64_t valueOf(std::int64_t word)
{
    return word & kValueMask;
}
constexpr std::int64_t idOf(std::int64_t word)
{
    return word >> kIdShift;
}
constexpr std::int64_t wordOf(std::int64_t id, std::int64_t value)
{
    return (id << kIdShift) | value;
}

// One inspected increment. Id 0 is the counter's initial value.
struct CounterAccess {
    std::uint32_t worker; // index among the scenario's workers
    std::int64_t id;
    std::int64_t read; // the word it read (value and the id of the write that made it)
    std::int64_t replaced; // the word its write replaced
    std::int64_t readNs;
    std::int64_t writeNs;
};
constexpr int kListedLostUpdates = 200;
constexpr std::size_t kLoggedWrites = 1000; // the raw log is a result only while it stays readable

enum LockMode : int { None, Mutex, Atomic };
enum BackendChoice : int { StdThread, QThreadPoolBackend };

struct Params {
    int workers = 0;
    std::int64_t increments = 0;
    Live<LockMode> lock;
    BackendChoice backend = StdThread;
    std::int64_t inspect = 0;
    Live<std::chrono::microseconds> slowMotion;
};
const ParamTable<Params> kParams {
    param(&Params::workers,
        ParamSpec::integer(QStringLiteral("workers"), 5, 1, 64, QStringLiteral("Threads incrementing the counter"))),
    param(&Params::increments,
        ParamSpec::integer(
            QStringLiteral("increments"), 100000, 1, 10'000'000, QStringLiteral("How many times each worker adds 1"))),
    param(&Params::lock,
        ParamSpec::choice(QStringLiteral("lock"),
            { QStringLiteral("none"), QStringLiteral("mutex"), QStringLiteral("atomic") }, Mutex,
            QStringLiteral("none: read, add, write with no protection (updates get lost); mutex: the same "
                           "inside a std::mutex; atomic: one fetch_add"))),
    param(&Params::backend,
        ParamSpec::choice(QStringLiteral("backend"), { QStringLiteral("std-thread"), QStringLiteral("qthreadpool") },
            StdThread, QStringLiteral("One std::thread per worker, or a QThreadPool sized to the workers"))),
    param(&Params::inspect,
        ParamSpec::integer(QStringLiteral("inspect"), 0, 0, 100'000,
            QStringLiteral("Lost-update inspector: record every read and write of the first this many increments "
                           "of each worker (and stop there), then list each lost update (0 = off)"))),
    param(&Params::slowMotion,
        ParamSpec::integer(QStringLiteral("slow_motion"), 0, 0, 100'000,
            QStringLiteral("Sleep this long between reading and writing the counter, widening the race "
                           "window (0 = off)"),
            QStringLiteral("µs"))),
};

// A row of lost_update_list: one write that wiped out updates for good.
struct LostUpdate {
    qint64 write = 0;
    QString writer;
    qint64 read = 0;
    qint64 wrote = 0;
    qint64 overwrote = 0;
    QString writtenBy;
    qint64 lost = 0;
    qint64 fromNs = 0;
    qint64 toNs = 0;
};
const ResultTable<LostUpdate> kLostUpdate {
    result(&LostUpdate::write, QStringLiteral("write")),
    result(&LostUpdate::writer, QStringLiteral("writer")),
    result(&LostUpdate::read, QStringLiteral("read")),
    result(&LostUpdate::wrote, QStringLiteral("wrote")),
    result(&LostUpdate::overwrote, QStringLiteral("overwrote")),
    result(&LostUpdate::writtenBy, QStringLiteral("written_by")),
    result(&LostUpdate::lost, QStringLiteral("lost")),
    result(&LostUpdate::fromNs, QStringLiteral("from_ns")),
    result(&LostUpdate::toNs, QStringLiteral("to_ns")),
};

// A row of write_log: one inspected write, in the order the writes happened.
struct LoggedWrite {
    qint64 write = 0;
    QString worker;
    qint64 read = 0;
    qint64 readWrite = 0; // the write that made the value it read
    qint64 wrote = 0;
    qint64 replaced = 0;
    qint64 replacedWrite = 0;
};
const ResultTable<LoggedWrite> kLoggedWrite {
    result(&LoggedWrite::write, QStringLiteral("write")),
    result(&LoggedWrite::worker, QStringLiteral("worker")),
    result(&LoggedWrite::read, QStringLiteral("read")),
    result(&LoggedWrite::readWrite, QStringLiteral("read_write")),
    result(&LoggedWrite::wrote, QStringLiteral("wrote")),
    result(&LoggedWrite::replaced, QStringLiteral("replaced")),
    result(&LoggedWrite::replacedWrite, QStringLiteral("replaced_write")),
};

struct Results {
    qint64 expected = 0;
    qint64 actual = 0;
    qint64 lostUpdates = 0;
    // The inspector's, when it ran:
    std::optional<qint64> interleavedIncrements;
    std::optional<qint64> inspectedIncrements;
    std::optional<qint64> inspectedLostUpdates;
    std::optional<bool> lostUpdateListComplete;
    std::optional<QJsonArray> lostUpdateList; // of LostUpdate
    std::optional<QJsonArray> writeLog; // of LoggedWrite, while it stays readable
    std::optional<QString> inspectorError;
};
const ResultTable<Results> kResults {
    result(&Results::expected, QStringLiteral("expected")),
    result(&Results::actual, QStringLiteral("actual")),
    result(&Results::lostUpdates, QStringLiteral("lost_updates")),
    result(&Results::interleavedIncrements, QStringLiteral("interleaved_increments")),
    result(&Results::inspectedIncrements, QStringLiteral("inspected_increments")),
    result(&Results::inspectedLostUpdates, QStringLiteral("inspected_lost_updates")),
    result(&Results::lostUpdateListComplete, QStringLiteral("lost_update_list_complete")),
    result(&Results::lostUpdateList, QStringLiteral("lost_update_list")),
    result(&Results::writeLog, QStringLiteral("write_log")),
    result(&Results::inspectorError, QStringLiteral("inspector_error")),
};
// The per-worker figure: the increments each worker made.
const QString kIncrementsMade = QStringLiteral("increments");

// Which writes were lost, and which write lost them. The final value's chain of writes (each built on the
// one it read) survived; every other write was lost. A lost write is lost for good by the write that replaced
// the last value built on it: that write is listed, with how many it lost. Each lost write is counted once,
// so the listed counts add up to expected − actual exactly.
void inspectLostUpdates(
    Results& r, const std::vector<std::vector<CounterAccess>>& accesses, const std::vector<QString>& names)
{
    std::unordered_map<std::int64_t, CounterAccess> byId;
    std::unordered_map<std::int64_t, std::int64_t> replacedBy; // id → the write that replaced its value
    for (const auto& log : accesses)
        for (const auto& a : log) {
            byId.emplace(a.id, a);
            replacedBy.emplace(idOf(a.replaced), a.id);
        }
    // The modification order: each write replaced exactly one value, so the writes form one chain from id 0.
    std::vector<std::int64_t> order;
    for (auto it = replacedBy.find(0); it != replacedBy.end(); it = replacedBy.find(it->second))
        order.push_back(it->second);
    if (order.size() != byId.size()) {
        r.inspectorError = QStringLiteral("the writes do not form one chain");
        return;
    }
    // Walking the order backwards, the first time a write is reached from a later one built on it (or is
    // itself) gives the last position that still carried it.
    std::unordered_map<std::int64_t, std::size_t> lastCarried;
    for (std::size_t pos = order.size(); pos-- > 0;)
        for (std::int64_t id = order[pos]; id != 0 && lastCarried.emplace(id, pos).second;)
            id = idOf(byId.at(id).read);
    std::vector<std::int64_t> lostAt(order.size(), 0); // per position: the writes its write lost for good
    std::vector<std::int64_t> earliest(order.size(), 0);
    std::int64_t lost = 0;
    for (const auto& [id, pos] : lastCarried)
        if (pos + 1 < order.size()) {
            ++lost;
            const std::int64_t readNs = byId.at(id).readNs;
            earliest[pos + 1] = lostAt[pos + 1]++ == 0 ? readNs : std::min(earliest[pos + 1], readNs);
        }
    QJsonArray list;
    for (std::size_t pos = 0; pos < order.size() && list.size() < kListedLostUpdates; ++pos) {
        if (lostAt[pos] == 0)
            continue;
        const CounterAccess& w = byId.at(order[pos]);
        const CounterAccess& victim = byId.at(order[pos - 1]);
        list.append(kLostUpdate.toObject({
            .write = w.id,
            .writer = names[w.worker],
            .read = valueOf(w.read),
            .wrote = valueOf(w.read) + 1,
            .overwrote = valueOf(w.replaced),
            .writtenBy = names[victim.worker],
            .lost = lostAt[pos],
            .fromNs = std::min(earliest[pos], w.readNs),
            .toNs = w.writeNs,
        }));
    }
    // Interleaved: another write landed between this write's read and its write.
    std::int64_t interleaved = 0;
    for (const auto& [id, a] : byId)
        interleaved += a.read != a.replaced;
    r.inspectedIncrements = qint64(order.size());
    r.inspectedLostUpdates = lost;
    r.interleavedIncrements = interleaved;
    r.lostUpdateList = list;
    r.lostUpdateListComplete
        = std::count_if(lostAt.begin(), lostAt.end(), [](auto n) { return n > 0; }) <= kListedLostUpdates;
    if (order.size() <= kLoggedWrites) {
        // The raw record, in the order the writes happened: enough to check every figure above by hand.
        QJsonArray writes;
        for (const std::int64_t id : order) {
            const CounterAccess& a = byId.at(id);
            writes.append(kLoggedWrite.toObject({
                .write = a.id,
                .worker = names[a.worker],
                .read = valueOf(a.read),
                .readWrite = idOf(a.read),
                .wrote = valueOf(a.read) + 1,
                .replaced = valueOf(a.replaced),
                .replacedWrite = idOf(a.replaced),
            }));
        }
        r.writeLog = writes;
    }
}

// The seed's shared counter: N workers each add 1 a number of times. Without a lock, updates are lost.
class RaceCounter final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("race-counter"),
            .title = QStringLiteral("Race on a shared counter"),
            .summary = QStringLiteral("Workers increment one counter; switch the lock off and updates get lost"),
            .topic = QStringLiteral("Thread data sharing with synchronization (5 threads x 100000 = 500000)"),
            .params = kParams.specs(),
            .results
            = kResults.keys() + mergedOrder(kLostUpdate.keys(), kLoggedWrite.keys()) + QStringList { kIncrementsMade },
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const int workerCount = p.workers;
        const std::int64_t inspect = p.inspect;
        const std::int64_t increments = inspect > 0 ? std::min(inspect, p.increments) : p.increments;
        const auto backend = p.backend == StdThread ? Backend::StdThread : Backend::ThreadPool;

        // The counter is an atomic so that the unprotected mode is a well-defined race (relaxed load, then a
        // separate write), not undefined behaviour that the optimiser may fold into one addition.
        std::atomic<std::int64_t> counter { 0 };
        // One cache line per worker, so progress reports do not contend with each other. Both are published
        // after the write they count, so a sample never counts an increment that has not happened yet.
        struct alignas(64) Progress {
            std::atomic<std::int64_t> done { 0 };
            std::atomic<std::int64_t> wipedOut { 0 }; // Σ replaced − read over this worker's writes
        };
        std::vector<Progress> progress(static_cast<std::size_t>(workerCount));
        InstrumentedLock& lock = ctx.addLock(QStringLiteral("counter"), LockKind::Mutex);

        auto expected = [&] {
            std::int64_t sum = 0;
            for (const auto& p : progress)
                sum += p.done.load(std::memory_order_relaxed);
            return sum;
        };
        const auto expectedCounter = ctx.addCounter(kResults.key(&Results::expected), expected);
        const auto actualCounter = ctx.addCounter(
            kResults.key(&Results::actual), [&] { return valueOf(counter.load(std::memory_order_relaxed)); });
        // Not expected − actual: those two are read a moment apart while workers keep going, so even a mutex
        // would show a few "lost" updates in between. The workers' own tallies are 0 under mutex and atomic.
        const auto lostCounter = ctx.addCounter(kResults.key(&Results::lostUpdates), [&] {
            std::int64_t sum = 0;
            for (const auto& p : progress)
                sum += p.wipedOut.load(std::memory_order_relaxed);
            return sum;
        });

        const auto workers = addWorkers(ctx, workerCount, QStringLiteral("worker"));
        std::vector<LockStats> stats(workers.size());
        std::vector<std::vector<CounterAccess>> accesses(workers.size());
        // Starting a thread takes longer than 100000 increments: without the barrier each worker would be done
        // before the next one began and the race would never race. The wait is drawn as one (sleeping).
        StartBarrier atStart(workers.size());
        runWorkers(ctx, backend, workers, [&](std::uint32_t worker, Recorder& rec) {
            rec.record(EventKind::Sleeping);
            atStart.arriveAndWait([&] { return ctx.stopRequested(); });
            rec.record(EventKind::Running);
            const std::size_t index = worker - workers.front();
            LockStats& mine = stats[index];
            Progress& me = progress[index];
            std::vector<CounterAccess>& log = accesses[index];
            log.reserve(std::size_t(inspect));
            for (std::int64_t i = 0; i < increments && !ctx.stopRequested(); ++i) {
                // Ids only while inspecting (they are unique there: increments are capped at `inspect`).
                const std::int64_t id = inspect > 0 ? std::int64_t(index) * increments + i + 1 : 0;
                const auto mode = p.lock.load();
                std::int64_t readNs = 0;
                std::int64_t seen = 0;
                std::int64_t replaced = 0;
                auto publish = [&] {
                    me.wipedOut.store(me.wipedOut.load(std::memory_order_relaxed) + valueOf(replaced) - valueOf(seen),
                        std::memory_order_relaxed);
                    me.done.store(i + 1, std::memory_order_relaxed);
                };
                if (mode == Atomic) {
                    if (inspect > 0) {
                        // The same one indivisible step as fetch_add, written so the new value carries its id.
                        readNs = clock::monotonicNs();
                        seen = counter.load(std::memory_order_relaxed);
                        while (!counter.compare_exchange_weak(
                            seen, wordOf(id, valueOf(seen) + 1), std::memory_order_relaxed))
                            ;
                    } else {
                        seen = counter.fetch_add(1, std::memory_order_relaxed);
                    }
                    replaced = seen;
                    publish();
                } else {
                    InstrumentedGuard guard(lock, rec, mine, mode == Mutex ? LockKind::Mutex : LockKind::None);
                    readNs = inspect > 0 ? clock::monotonicNs() : 0;
                    seen = counter.load(std::memory_order_relaxed);
                    if (const auto pause = p.slowMotion.load(); pause.count() > 0)
                        ctx.sleepFor(pause, rec);
                    replaced = counter.exchange(wordOf(id, valueOf(seen) + 1), std::memory_order_relaxed);
                    publish(); // inside the lock: a sample sees the increment done once it is
                }
                if (inspect > 0)
                    log.push_back({ std::uint32_t(index), id, seen, replaced, readNs, clock::monotonicNs() });
            }
        });
        Results r;
        if (inspect > 0) {
            std::vector<QString> names;
            for (const auto w : workers)
                names.push_back(ctx.workers()[w].name);
            inspectLostUpdates(r, accesses, names);
        }

        const std::int64_t expectedTotal = expected();
        const std::int64_t actual = valueOf(counter.load());
        for (std::size_t i = 0; i < workers.size(); ++i) {
            reportLockStats(ctx, workers[i], stats[i]);
            ctx.setWorkerFigure(workers[i], kIncrementsMade, qint64(progress[i].done.load()));
        }
        r.expected = expectedTotal;
        r.actual = actual;
        r.lostUpdates = expectedTotal - actual;
        kResults.report(ctx, r);
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        const QJsonArray workers = summary[u"workers"].toArray();
        const LockMode lock = kParams.fromSummary(summary).lock.load();
        const qint64 expected = r.expected;
        const qint64 actual = r.actual;
        const qint64 lost = r.lostUpdates;
        double waited = 0, elapsed = 0, longest = 0;
        for (const auto& w : workers) {
            waited += w[u"wait_ns"].toDouble();
            elapsed += w[u"elapsed_ns"].toDouble();
            longest = std::max(longest, w[u"longest_wait_ns"].toDouble());
        }

        QString text;
        if (lost > 0) {
            text = QStringLiteral(
                "<b>%1 of %2 updates were lost (%3).</b> %4 workers each read the counter, added 1 and "
                "wrote it back; whenever two of them read the same value, one write overwrote the "
                "other. The counter ended at %5 instead of %2.")
                       .arg(groupedNumber(lost), groupedNumber(expected), percent(double(lost) / double(expected)))
                       .arg(workers.size())
                       .arg(groupedNumber(actual));
            if (lock != None)
                text += QStringLiteral(" The lock was switched off for part of the run: those increments raced.");
        } else if (lock == Mutex) {
            text = QStringLiteral(
                "<b>No update was lost:</b> %1 increments, counter %2. The mutex let one worker at a time "
                "read, add and write. The price was waiting: the workers spent %3 of their time waiting "
                "for the lock (longest single wait %4).")
                       .arg(groupedNumber(expected), groupedNumber(actual), percent(elapsed > 0 ? waited / elapsed : 0),
                           formatDuration(longest));
        } else if (lock == Atomic) {
            text = QStringLiteral(
                "<b>No update was lost:</b> %1 increments, counter %2. fetch_add makes read, add and write "
                "one indivisible step, with no lock to wait for.")
                       .arg(groupedNumber(expected), groupedNumber(actual));
        } else if (r.interleavedIncrements) {
            const qint64 interleaved = *r.interleavedIncrements;
            text = interleaved == 0
                ? QStringLiteral(
                    "No update was lost this time (%1 increments), but nothing prevented it: the inspector "
                    "saw no write land between another increment's read and write. Raise the increments "
                    "or the workers, or turn on slow motion.")
                      .arg(groupedNumber(expected))
                : QStringLiteral("No update was lost this time (%1 increments), although in %2 of them another write "
                                 "landed between the read and the write: the later writes happened to restore the "
                                 "count. Nothing prevented a loss.")
                      .arg(groupedNumber(expected), groupedNumber(interleaved));
        } else {
            text = QStringLiteral(
                "No update was lost this time (%1 increments), but nothing prevented it: with no lock, "
                "any write may land between another worker's read and write. Raise the increments or "
                "the workers, or turn on slow motion.")
                       .arg(groupedNumber(expected));
        }
        if (r.inspectedLostUpdates && lost > 0) {
            const QJsonArray rows = r.lostUpdateList.value_or(QJsonArray());
            text
                += QStringLiteral(" The inspector recorded every read and write: %1 of the increments interleaved with "
                                  "another write, and %2 were lost for good. Each row of lost_update_list is one write "
                                  "that wiped out updates for good, with how many (<i>lost</i>)%3; click <i>show</i> "
                                  "to see that interleaving on the timeline.")
                       .arg(groupedNumber(r.interleavedIncrements.value_or(0)), groupedNumber(*r.inspectedLostUpdates),
                           r.lostUpdateListComplete.value_or(false)
                               ? QStringLiteral(": the rows add up to the %1 lost").arg(groupedNumber(lost))
                               : QStringLiteral(" (the first %1 such writes are listed)").arg(rows.size()));
        }
        return text;
    }
};
}

std::unique_ptr<Scenario> makeRaceCounter()
{
    return std::make_unique<RaceCounter>();
}

} // namespace tl
