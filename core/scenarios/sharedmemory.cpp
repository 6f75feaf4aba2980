#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../processes/processipc.h"
#include "../processes/sharedwait.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <array>

namespace tl {

namespace {
enum Lock : int { None, Semaphore, ValueLock };
constexpr int kMaxChildren = 16;

// What one child has done so far, published after each update. A child killed mid-update leaves `inFlight`
// set: its last update may or may not have reached the shared number, which the account then says.
struct alignas(64) ChildProgress {
    std::atomic<std::int64_t> updates { 0 };
    std::atomic<bool> inFlight { false };
    std::atomic<bool> doubling { false }; // started doubling the array
    std::atomic<bool> doubled { false };
};

// Marks the start or end of an update in program order: what a SIGKILL leaves behind is then consistent
// (a compiler barrier is all a kill needs; the parent reads only after the child is gone).
void mark(std::atomic<bool>& flag, bool value)
{
    std::atomic_signal_fence(std::memory_order_seq_cst);
    flag.store(value, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

// The segment's layout: Value('i', 0) and Array('i', [1, 2, 3, 4]), and the start barrier.
struct SharedData {
    // Children count themselves in, then wait for `go`: "started" is not "at the starting line" (exec and
    // Qt start-up take longer than a million increments), so all are released at once or they never race.
    std::atomic<int> arrived;
    std::atomic<std::uint32_t> go; // 0 until the parent releases them; they sleep on it (a futex) meanwhile
    std::atomic<std::int64_t> value;
    std::array<std::atomic<std::int64_t>, 4> array;
    std::array<ChildProgress, kMaxChildren> progress;
};
constexpr std::array<std::int64_t, 4> kInitialArray { 1, 2, 3, 4 };

const QStringList kLockChoices { QStringLiteral("none"), QStringLiteral("semaphore"), QStringLiteral("value-lock") };
const QStringList kIpcChoices { QStringLiteral("qt"), QStringLiteral("private") }; // in IpcApi's order

struct Params {
    int children = 0;
    std::int64_t add = 0;
    std::int64_t repeats = 0;
    std::int64_t computeNs = 0;
    Lock lock = Semaphore;
    bool killOne = false;
    IpcApi ipc = IpcApi::Qt;
};
const ParamTable<Params> kParams {
    param(&Params::children,
        ParamSpec::integer(
            QStringLiteral("children"), 1, 1, kMaxChildren, QStringLiteral("Child processes sharing the memory"))),
    param(&Params::add,
        ParamSpec::integer(QStringLiteral("add"), 100, -1'000'000, 1'000'000,
            QStringLiteral("What each child adds to the shared integer per update (the seed adds 100)"))),
    param(&Params::repeats,
        ParamSpec::integer(QStringLiteral("repeats"), 1, 1, 100'000'000,
            QStringLiteral("How many times each child adds; raise it with several children to see updates get lost"))),
    param(&Params::computeNs,
        ParamSpec::integer(QStringLiteral("compute_ns"), 200, 0, 1'000'000,
            QStringLiteral("How long each update computes between reading and writing (Python takes a few hundred "
                           "ns for `v.value += 1`); the time in which another process can slip in"),
            QStringLiteral("ns"))),
    param(&Params::lock,
        ParamSpec::choice(QStringLiteral("lock"), kLockChoices, Semaphore,
            QStringLiteral("semaphore: every update inside the run's system semaphore, a QSystemSemaphore or, "
                           "with ipc=private, a private System V semaphore (`with v.get_lock(): v.value += 1`); "
                           "none: read and write with no protection; value-lock: the seed's `v.value += 1` on a "
                           "synchronized Value, which locks the read and the write separately and still loses "
                           "updates"))),
    param(&Params::killOne, Children::killOneParam()),
    param(&Params::ipc,
        ParamSpec::choice(QStringLiteral("ipc"), kIpcChoices, int(IpcApi::Qt),
            QStringLiteral("qt: a QSharedMemory segment and a QSystemSemaphore, under fresh random keys, refused if "
                           "another process holds their System V key; private: System V objects made with "
                           "IPC_PRIVATE, which have no key at all"))),
};

// A row of `children`: what a child reported, and its name.
struct ChildRow {
    std::optional<QString> name;
    std::optional<qint64> updates;
    std::optional<qint64> added;
    std::optional<qint64> valueSeen;
    std::optional<bool> doubledArray;
};
const ResultTable<ChildRow> kChildRow {
    result(&ChildRow::name, QStringLiteral("name")),
    result(&ChildRow::updates, QStringLiteral("updates")),
    result(&ChildRow::added, QStringLiteral("added")),
    result(&ChildRow::valueSeen, QStringLiteral("value_seen")),
    result(&ChildRow::doubledArray, QStringLiteral("doubled_array")),
};

struct Results {
    QString api; // what the processes shared the memory and the lock through (ipcApiName)
    qint64 value = 0;
    qint64 expectedValue = 0;
    qint64 lostUpdates = 0; // never negative; the smaller figure when an update was in flight
    qint64 updates = 0;
    // With an update of a killed child in flight:
    std::optional<qint64> updatesInFlight;
    std::optional<qint64> expectedValueAtMost;
    std::optional<qint64> lostUpdatesAtMost;
    QJsonArray array;
    QJsonArray expectedArray;
    std::optional<bool> arrayUncertain; // a child was killed while doubling it
    int childrenFinished = 0;
    QJsonArray children; // of ChildRow
};
const ResultTable<Results> kResults {
    result(&Results::api, QStringLiteral("api")),
    result(&Results::value, QStringLiteral("value")),
    result(&Results::expectedValue, QStringLiteral("expected_value")),
    result(&Results::lostUpdates, QStringLiteral("lost_updates")),
    result(&Results::updates, QStringLiteral("updates")),
    result(&Results::updatesInFlight, QStringLiteral("updates_in_flight")),
    result(&Results::expectedValueAtMost, QStringLiteral("expected_value_at_most")),
    result(&Results::lostUpdatesAtMost, QStringLiteral("lost_updates_at_most")),
    result(&Results::array, QStringLiteral("array")),
    result(&Results::expectedArray, QStringLiteral("expected_array")),
    result(&Results::arrayUncertain, QStringLiteral("array_uncertain")),
    result(&Results::childrenFinished, QStringLiteral("children_finished")),
    result(&Results::children, QStringLiteral("children")),
};

// The seed's Value and Array across processes: children add to a shared integer and double a shared array
// in one shared segment, guarded by one system semaphore unless the lock is off: by default a QSharedMemory
// and a QSystemSemaphore (hardened, see qtipc.h), with ipc=private System V objects without a key.
class SharedMemory final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("shared-memory"),
            .title = QStringLiteral("Shared memory between processes"),
            .summary = QStringLiteral(
                "Children add to a shared integer and double a shared array; drop the lock and updates get lost"),
            .topic = QStringLiteral("Child processes: Value('i', 0) and Array('i', [1, 2, 3, 4]) shared with a child"),
            .params = kParams.specs(),
            .results = kResults.keys() + kChildRow.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const int count = p.children;
        const std::int64_t add = p.add;
        const std::int64_t repeats = p.repeats;
        const std::int64_t computeNs = p.computeNs;
        const Lock lock = p.lock;

        const auto shared = SharedObjects::create(p.ipc, sizeof(SharedData), 1);
        auto* data = new (shared->data()) SharedData {};
        for (std::size_t i = 0; i < kInitialArray.size(); ++i)
            data->array[i] = kInitialArray[i];
        const std::uint16_t lockId = ctx.addExternalLock(ipcLockName(p.ipc));
        const auto sampled = ctx.addCounter(
            QStringLiteral("shared value"), [data] { return data->value.load(std::memory_order_relaxed); });

        Children children(ctx, info().name);
        runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder& rec) {
            for (int i = 0; i < count && !ctx.stopRequested(); ++i) {
                const QStringList args { QString::number(add), QString::number(repeats), QString::number(lock),
                    QString::number(lockId), QString::number(i), QString::number(computeNs),
                    QString::number(int(p.ipc)) };
                children.start({ QStringLiteral("Child-%1").arg(i), QStringLiteral("child"), args, {},
                    QStringLiteral("add=%1, repeats=%2, lock=%3").arg(add).arg(repeats).arg(kLockChoices[lock]),
                    shared->keys(), {} });
            }
            rec.record(EventKind::Sleeping);
            // The start barrier: release everyone once all are in (or one died on the way, which nobody awaits).
            const int started = children.count();
            children.waitUntil([&] {
                bool anyEnded = false;
                for (int i = 0; i < started; ++i)
                    anyEnded = anyEnded || children.info(i).ended();
                return data->arrived.load() >= started || anyEnded;
            });
            data->go.store(1);
            wakeAllWaiters(data->go);
            children.waitForAll(p.killOne);
            rec.record(EventKind::Running);
        });

        // Expected from what each child published (a killed child's count stops where it was killed; an update
        // it was in the middle of may or may not have landed, so the expected total is then a range).
        Results r;
        r.api = ipcApiName(p.ipc);
        std::int64_t uncertain = 0;
        bool arrayUncertain = false;
        std::int64_t expectedFactor = 1;
        for (int i = 0; i < children.count(); ++i) {
            const ChildProgress& progress = data->progress[std::size_t(i)];
            r.updates += progress.updates.load();
            uncertain += progress.inFlight.load();
            arrayUncertain = arrayUncertain || (progress.doubling.load() && !progress.doubled.load());
            if (progress.doubled.load())
                expectedFactor *= 2;
            r.childrenFinished += children.info(i).state == ProcessInfo::State::Exited;
            QJsonObject report = children.report(i);
            report.insert(kChildRow.key(&ChildRow::name), children.info(i).name);
            r.children.append(report);
        }
        for (std::size_t i = 0; i < kInitialArray.size(); ++i) {
            r.array.append(qint64(data->array[i].load()));
            r.expectedArray.append(qint64(kInitialArray[i] * expectedFactor));
        }
        r.value = data->value.load();
        r.expectedValue = r.updates * add;
        // Updates that went missing: never negative. With an update of a killed child in flight, the count is
        // a range: the smaller figure is lost_updates, the larger lost_updates_at_most.
        const std::int64_t missing = add != 0 ? (r.expectedValue - r.value) / add : 0;
        r.lostUpdates = std::max<std::int64_t>(missing, 0);
        if (uncertain > 0) {
            r.updatesInFlight = uncertain;
            r.expectedValueAtMost = (r.updates + uncertain) * add;
            r.lostUpdatesAtMost = std::max<std::int64_t>(missing + uncertain, 0);
        }
        if (arrayUncertain)
            r.arrayUncertain = true;
        kResults.report(ctx, r);
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        if (role != u"child")
            return Scenario::runChild(role, child);
        const std::int64_t add = child.arg(0).toLongLong();
        const std::int64_t repeats = child.arg(1).toLongLong();
        const auto lock = Lock(child.arg(2).toInt());
        const auto lockId = std::uint16_t(child.arg(3).toUInt());
        const auto index = std::size_t(child.arg(4).toUInt());
        const std::int64_t computeNs = child.arg(5).toLongLong();
        const auto shared
            = SharedObjects::open(IpcApi(child.arg(6).toInt()), { child.sharedKey(0), child.sharedKey(1) });
        auto* data = std::launder(static_cast<SharedData*>(shared->data()));
        Recorder& rec = child.recorder();
        ChildProgress& mine = data->progress.at(index);

        // Like `with lock:` around one step; with no lock the step runs bare.
        auto guarded = [&](auto&& step) {
            if (lock == None)
                return step();
            rec.record(EventKind::LockWait, 0, lockId);
            shared->acquire();
            rec.record(EventKind::LockAcquired, 1, lockId);
            const auto result = step();
            shared->release();
            rec.record(EventKind::LockReleased, 0, lockId);
            return result;
        };
        // cell = cell * factor + delta. The read and the write are separate steps (well-defined C++, a real
        // lost-update race between processes); value-lock takes the lock for each step on its own, as
        // `v.value += 1` does (a locked get, then a locked set), so another process can slip in between.
        auto update = [&](std::atomic<std::int64_t>& cell, std::int64_t delta, std::int64_t factor) {
            auto read = [&] { return cell.load(std::memory_order_relaxed); };
            auto write = [&](std::int64_t v) {
                cell.store(v * factor + delta, std::memory_order_relaxed);
                return 0;
            };
            auto compute = [&] {
                for (const std::int64_t until = clock::monotonicNs() + computeNs; clock::monotonicNs() < until;) { }
            };
            if (lock == ValueLock) {
                const std::int64_t v = guarded(read);
                compute();
                guarded([&] { return write(v); });
            } else {
                guarded([&] {
                    const std::int64_t v = read();
                    compute();
                    return write(v);
                });
            }
        };
        rec.record(EventKind::Sleeping);
        data->arrived.fetch_add(1);
        while (data->go.load() == 0)
            waitWhileEquals(data->go, 0, std::chrono::milliseconds(50));
        rec.record(EventKind::Running);
        for (std::int64_t r = 0; r < repeats; ++r) {
            mark(mine.inFlight, true);
            update(data->value, add, 1);
            mine.updates.store(r + 1, std::memory_order_relaxed);
            mark(mine.inFlight, false);
        }
        mark(mine.doubling, true);
        for (auto& cell : data->array)
            update(cell, 0, 2);
        mine.doubled.store(true);
        ChildRow row;
        row.updates = repeats;
        row.added = repeats * add;
        row.doubledArray = true;
        row.valueSeen = data->value.load();
        kChildRow.report(child, row);
        return 0;
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        auto list = [](const QJsonArray& a) {
            QStringList items;
            for (const auto& v : a)
                items << QString::number(v.toInteger());
            return u'[' + items.join(QStringLiteral(", ")) + u']';
        };
        // What the run used, as its results say (a summary without `api` names neither).
        const bool qt = r.api == ipcApiName(IpcApi::Qt);
        const bool priv = r.api == ipcApiName(IpcApi::Private);
        const QString segment = qt ? QStringLiteral("a QSharedMemory segment (System V, under a fresh random key "
                                                    "whose kernel object was checked to be this run's own)")
            : priv                 ? QStringLiteral("a private System V segment (IPC_PRIVATE, with no key)")
                                   : QStringLiteral("a shared-memory segment");
        const QString semaphore = qt ? QStringLiteral("QSystemSemaphore")
            : priv                   ? QStringLiteral("private System V semaphore")
                                     : QStringLiteral("system semaphore");
        QString text = QStringLiteral("%1 child process(es) shared one integer and one array in %2, all released "
                                      "at once from a start barrier. The shared number ended at <b>%3</b> and the "
                                      "array at <b>%4</b>. ")
                           .arg(r.children.size())
                           .arg(segment, groupedNumber(r.value), list(r.array));
        const bool arrayUncertain = r.arrayUncertain.value_or(false);
        const bool arrayExact = r.array == r.expectedArray || arrayUncertain;
        const qint64 lost = r.lostUpdates;
        const qint64 lostAtMost = r.lostUpdatesAtMost.value_or(lost);
        if (r.updatesInFlight)
            text += QStringLiteral("A child was killed in the middle of an update, so whether its last update reached "
                                   "the number is unknown: %1 to %2 updates were lost. ")
                        .arg(groupedNumber(lost), groupedNumber(lostAtMost));
        if (arrayUncertain)
            text += QStringLiteral(
                "A child was killed while doubling the array, so which cells it doubled is unknown. ");
        if (lostAtMost == 0 && arrayExact)
            text += QStringLiteral("That is exactly what the children's %1 updates add up to: no update was lost")
                        .arg(groupedNumber(r.updates));
        else
            text
                += QStringLiteral("The children's %1 updates add up to %2 and %3: <b>%4 updates of the number were "
                                  "lost</b>%5, because two processes read the same value and both wrote back their own "
                                  "result")
                       .arg(groupedNumber(r.updates), groupedNumber(r.expectedValue), list(r.expectedArray))
                       .arg(groupedNumber(lost))
                       .arg(arrayExact ? QString() : QStringLiteral(" and some doublings of the array"));
        const Lock lock = kParams.fromSummary(summary).lock;
        text += lock == Semaphore
            ? QStringLiteral(" (every update was inside the %1, so only one process at a time could make it).")
                  .arg(semaphore)
            : lock == ValueLock
            ? QStringLiteral(
                " (value-lock is the seed's <code>v.value += 1</code> on a synchronized Value: the read and "
                "the write each took the lock, but not together, so another process could write in "
                "between and be overwritten).")
            : QStringLiteral(" (the lock was off: separate processes race on shared memory exactly as threads do).");
        return text;
    }
};
}

std::unique_ptr<Scenario> makeSharedMemory()
{
    return std::make_unique<SharedMemory>();
}

} // namespace tl
