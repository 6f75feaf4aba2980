#include "sharedmemory.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../processes/sharedsegment.h"
#include "../processes/sharedsemaphore.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <array>
#include <thread>

namespace tl {

namespace {
enum Lock { None, Semaphore };

// The segment's layout: Value('i', 0) and Array('i', [1, 2, 3, 4]).
struct SharedData {
    std::atomic<bool> go; // set once every child has started, so that they all update at the same time
    std::atomic<std::int64_t> value;
    std::array<std::atomic<std::int64_t>, 4> array;
};
constexpr std::array<std::int64_t, 4> kInitialArray { 1, 2, 3, 4 };

// The unsafe update, as in race-counter: a separate read and write, well-defined C++ and a real lost-update
// race when two processes interleave.
void addTo(std::atomic<std::int64_t>& cell, std::int64_t delta, std::int64_t factor = 1)
{
    const std::int64_t v = cell.load(std::memory_order_relaxed);
    cell.store(v * factor + delta, std::memory_order_relaxed);
}
}

ScenarioInfo SharedMemory::info() const
{
    return {
        QStringLiteral("shared-memory"),
        QStringLiteral("Shared memory between processes"),
        QStringLiteral(
            "Children add to a shared integer and double a shared array; drop the lock and updates get lost"),
        QStringLiteral("Child processes: Value('i', 0) and Array('i', [1, 2, 3, 4]) shared with a child"),
        {
            ParamSpec::integer(
                QStringLiteral("children"), 1, 1, 16, QStringLiteral("Child processes sharing the memory")),
            ParamSpec::integer(QStringLiteral("add"), 100, -1'000'000, 1'000'000,
                QStringLiteral("What each child adds to the shared integer per update (the seed adds 100)")),
            ParamSpec::integer(QStringLiteral("repeats"), 1, 1, 1'000'000,
                QStringLiteral(
                    "How many times each child adds; raise it with several children to see updates get lost")),
            ParamSpec::choice(QStringLiteral("lock"), { QStringLiteral("none"), QStringLiteral("semaphore") },
                Semaphore,
                QStringLiteral("semaphore: every update inside a QSystemSemaphore (like Value's own lock); "
                               "none: read and write with no protection")),
            Children::killOneParam(),
        },
    };
}

void SharedMemory::run(RunContext& ctx)
{
    const int count = int(ctx.value(QStringLiteral("children")));
    const std::int64_t add = ctx.value(QStringLiteral("add"));
    const std::int64_t repeats = ctx.value(QStringLiteral("repeats"));
    const bool locked = ctx.value(QStringLiteral("lock")) == Semaphore;

    const auto segment = SharedSegment::create(QStringLiteral("data"), sizeof(SharedData));
    auto* data = new (segment->data()) SharedData {};
    for (std::size_t i = 0; i < kInitialArray.size(); ++i)
        data->array[i] = kInitialArray[i];
    const auto semaphore = SharedSemaphore::create(QStringLiteral("lock"), 1);
    const std::uint16_t lockId = ctx.addExternalLock(QStringLiteral("QSystemSemaphore"));
    const auto sampled = ctx.addCounter(
        QStringLiteral("shared value"), [data] { return data->value.load(std::memory_order_relaxed); });

    Children children(ctx, info().name);
    runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder& rec) {
        for (int i = 0; i < count && !ctx.stopRequested(); ++i) {
            const QStringList args { QString::number(add), QString::number(repeats), QString::number(locked),
                QString::number(lockId) };
            children.start({ QStringLiteral("Child-%1").arg(i), QStringLiteral("child"), args, {},
                QStringLiteral("add=%1, repeats=%2, lock=%3").arg(add).arg(repeats).arg(locked ? "semaphore" : "none"),
                { segment->key(), semaphore->key() }, {} });
        }
        data->go.store(true);
        rec.record(EventKind::Sleeping);
        children.waitForAll(ctx.value(QStringLiteral("kill_one")) != 0);
        rec.record(EventKind::Running);
    });

    std::int64_t expectedFactor = 1;
    int finished = 0;
    for (int i = 0; i < children.count(); ++i)
        if (children.info(i).state == ProcessInfo::State::Exited) {
            expectedFactor *= 2;
            ++finished;
        }
    QJsonArray array;
    QJsonArray expectedArray;
    for (std::size_t i = 0; i < kInitialArray.size(); ++i) {
        array.append(qint64(data->array[i].load()));
        expectedArray.append(qint64(kInitialArray[i] * expectedFactor));
    }
    const std::int64_t value = data->value.load();
    const std::int64_t expected = std::int64_t(finished) * repeats * add;
    ctx.setResult(QStringLiteral("value"), qint64(value));
    ctx.setResult(QStringLiteral("array"), array);
    ctx.setResult(QStringLiteral("expected_value"), qint64(expected));
    ctx.setResult(QStringLiteral("expected_array"), expectedArray);
    ctx.setResult(QStringLiteral("children_finished"), finished);
    ctx.setResult(QStringLiteral("lost_updates"), qint64(add != 0 ? (expected - value) / add : 0));
}

int SharedMemory::runChild(const QString& role, ChildContext& child)
{
    if (role != u"child")
        return Scenario::runChild(role, child);
    const std::int64_t add = child.arg(0).toLongLong();
    const std::int64_t repeats = child.arg(1).toLongLong();
    const bool locked = child.arg(2) == u"1";
    const auto lockId = std::uint16_t(child.arg(3).toUInt());
    const auto segment = SharedSegment::attach(child.sharedKey(0));
    auto* data = std::launder(static_cast<SharedData*>(segment->data()));
    const auto semaphore = SharedSemaphore::open(child.sharedKey(1));
    Recorder& rec = child.recorder();

    // Like `with lock:` around each update; without the lock the update runs bare.
    auto guarded = [&](auto&& update) {
        if (!locked) {
            update();
            return;
        }
        rec.record(EventKind::LockWait, 0, lockId);
        semaphore->acquire();
        rec.record(EventKind::LockAcquired, 1, lockId);
        update();
        semaphore->release();
        rec.record(EventKind::LockReleased, 0, lockId);
    };
    rec.record(EventKind::Sleeping);
    while (!data->go.load())
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    rec.record(EventKind::Running);
    for (std::int64_t r = 0; r < repeats; ++r)
        guarded([&] { addTo(data->value, add); });
    guarded([&] {
        for (auto& cell : data->array)
            addTo(cell, 0, 2);
    });
    child.report(QStringLiteral("value_seen"), qint64(data->value.load()));
    return 0;
}

QString SharedMemory::describeOutcome(const QJsonObject& summary) const
{
    const QJsonObject params = summary[u"params"].toObject();
    const QJsonObject results = summary[u"results"].toObject();
    auto list = [](const QJsonArray& a) {
        QStringList items;
        for (const auto& v : a)
            items << QString::number(v.toInteger());
        return u'[' + items.join(QStringLiteral(", ")) + u']';
    };
    const qint64 value = results[u"value"].toInteger();
    const qint64 expected = results[u"expected_value"].toInteger();
    QString text = QStringLiteral("%1 child process(es) shared one integer and one array in a QSharedMemory "
                                  "segment. The shared number ended at <b>%2</b> and the array at <b>%3</b>. ")
                       .arg(results[u"children_finished"].toInt())
                       .arg(groupedNumber(value))
                       .arg(list(results[u"array"].toArray()));
    if (value == expected && results[u"array"].toArray() == results[u"expected_array"].toArray())
        text += QStringLiteral("That is exactly what the updates add up to: no update was lost");
    else
        text += QStringLiteral("The updates add up to %1 and %2: <b>%3 updates were lost</b>, because two "
                               "processes read the same value and both wrote back their own result")
                    .arg(groupedNumber(expected), list(results[u"expected_array"].toArray()))
                    .arg(groupedNumber(results[u"lost_updates"].toInteger()));
    text += params[u"lock"].toString() == u"semaphore"
        ? QStringLiteral(
            " (every update was inside the QSystemSemaphore, so only one process at a time could make it).")
        : QStringLiteral(" (the lock was off: separate processes race on shared memory exactly as threads do).");
    return text;
}

} // namespace tl
