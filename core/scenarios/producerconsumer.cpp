#include "scenario.h"

#include "../run/workers.h"

#include <QJsonArray>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <thread>

namespace tl {

namespace {
constexpr auto kStopPoll = std::chrono::milliseconds(20);

std::int64_t threadCpuNs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The queue between them. Condition-variable waits are recorded as waits for a named "lock" (the condition),
// so the timeline shows producers blocked on a full queue and consumers on an empty one in red.
class BoundedQueue {
public:
    BoundedQueue(std::size_t capacity, bool busyPoll, std::uint16_t notFull, std::uint16_t notEmpty)
        : m_capacity(capacity)
        , m_busyPoll(busyPoll)
        , m_notFullId(notFull)
        , m_notEmptyId(notEmpty)
    {
    }

    // False when the run was stopped before there was room.
    bool put(std::int64_t item, Recorder& rec, const RunContext& ctx, std::int64_t& blockedNs)
    {
        std::unique_lock lock(m_mutex);
        if (m_items.size() >= m_capacity && !waitUntil(lock, rec, ctx, blockedNs, m_notFull, m_notFullId, [&] {
                return m_items.size() < m_capacity;
            }))
            return false;
        m_items.push_back(item);
        m_maxDepth = std::max(m_maxDepth, m_items.size());
        lock.unlock();
        m_notEmpty.notify_one();
        return true;
    }

    // The next item, or none once the producers are done and the queue is empty (or the run was stopped).
    std::optional<std::int64_t> take(Recorder& rec, const RunContext& ctx, std::int64_t& blockedNs)
    {
        std::unique_lock lock(m_mutex);
        if (m_items.empty() && !waitUntil(lock, rec, ctx, blockedNs, m_notEmpty, m_notEmptyId, [&] {
                return !m_items.empty() || m_producersLeft == 0;
            }))
            return std::nullopt;
        if (m_items.empty())
            return std::nullopt;
        const std::int64_t item = m_items.front();
        m_items.pop_front();
        lock.unlock();
        m_notFull.notify_one();
        return item;
    }

    void setProducers(int n) { m_producersLeft = n; }
    void producerDone()
    {
        {
            std::lock_guard lock(m_mutex);
            --m_producersLeft;
        }
        m_notEmpty.notify_all();
    }
    std::int64_t depth() const
    {
        std::lock_guard lock(m_mutex);
        return std::int64_t(m_items.size());
    }
    std::int64_t maxDepth() const
    {
        std::lock_guard lock(m_mutex);
        return std::int64_t(m_maxDepth);
    }

private:
    template <typename Ready>
    bool waitUntil(std::unique_lock<std::mutex>& lock, Recorder& rec, const RunContext& ctx, std::int64_t& blockedNs,
        std::condition_variable& condition, std::uint16_t conditionId, Ready ready)
    {
        const std::int64_t t0 = clock::monotonicNs();
        if (!m_busyPoll)
            rec.record(EventKind::LockWait, 0, conditionId);
        while (!ready() && !ctx.stopRequested()) {
            if (m_busyPoll) { // check again at once: the CPU stays busy doing nothing useful
                lock.unlock();
                std::this_thread::yield();
                lock.lock();
            } else {
                condition.wait_for(lock, kStopPoll);
            }
        }
        if (!m_busyPoll)
            rec.record(EventKind::Running);
        blockedNs += clock::monotonicNs() - t0;
        return ready();
    }

    const std::size_t m_capacity;
    const bool m_busyPoll;
    const std::uint16_t m_notFullId;
    const std::uint16_t m_notEmptyId;
    mutable std::mutex m_mutex;
    std::condition_variable m_notFull;
    std::condition_variable m_notEmpty;
    std::deque<std::int64_t> m_items; // guarded by m_mutex, as are the two below
    std::size_t m_maxDepth = 0;
    int m_producersLeft = 0;
};

// Threads around a bounded queue: P producers, C consumers. Waiting on condition variables blocks a thread
// until there is room or an item; busy polling keeps checking, and burns a CPU doing it.
class ProducerConsumer final : public Scenario {
public:
    enum Waiting { ConditionVariable, BusyPoll };

    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("producer-consumer"),
            .title = QStringLiteral("Producers and consumers: threads"),
            .summary = QStringLiteral("Threads around a bounded queue: blocked on full, blocked on empty, or busy polling"),
            .topic = QStringLiteral("Use queues for thread-safe communication; synchronize access properly"),
            .params = {
                ParamSpec::integer(QStringLiteral("producers"), 2, 1, 16, QStringLiteral("Producer threads")),
                ParamSpec::integer(QStringLiteral("consumers"), 2, 1, 16, QStringLiteral("Consumer threads")),
                ParamSpec::integer(QStringLiteral("items"), 200, 1, 1'000'000, QStringLiteral("Items each producer puts")),
                ParamSpec::integer(QStringLiteral("capacity"), 8, 1, 10'000,
                    QStringLiteral("How many items the queue holds before put() blocks")),
                ParamSpec::integer(QStringLiteral("produce_us"), 500, 0, 1'000'000,
                    QStringLiteral("Time a producer computes each item"), QStringLiteral("µs")),
                ParamSpec::integer(QStringLiteral("consume_us"), 1000, 0, 1'000'000,
                    QStringLiteral("Time a consumer computes on each item"), QStringLiteral("µs")),
                ParamSpec::choice(QStringLiteral("waiting"),
                    { QStringLiteral("condition-variable"), QStringLiteral("busy-poll") }, ConditionVariable,
                    QStringLiteral("condition-variable: a blocked thread sleeps until notified; busy-poll: it checks the "
                                   "queue again and again, using a CPU the whole time")),
            },
            .results = { QStringLiteral("produced"), QStringLiteral("consumed"), QStringLiteral("every_item_once"),
                QStringLiteral("max_depth"), QStringLiteral("producers_blocked_ms"), QStringLiteral("consumers_blocked_ms"),
                QStringLiteral("wall_ms"), QStringLiteral("cpu_ms"), QStringLiteral("cpu_per_item_us"),
                QStringLiteral("blocked_ns"), QStringLiteral("cpu_ns") },
        };
    }

    void run(RunContext& ctx) override
    {
        const int producers = int(ctx.value(QStringLiteral("producers")));
        const int consumers = int(ctx.value(QStringLiteral("consumers")));
        const std::int64_t items = ctx.value(QStringLiteral("items"));
        const auto produce = std::chrono::microseconds(ctx.value(QStringLiteral("produce_us")));
        const auto consume = std::chrono::microseconds(ctx.value(QStringLiteral("consume_us")));
        const bool busyPoll = ctx.value(QStringLiteral("waiting")) == BusyPoll;

        BoundedQueue queue(std::size_t(ctx.value(QStringLiteral("capacity"))), busyPoll,
            ctx.addExternalLock(QStringLiteral("queue not full")),
            ctx.addExternalLock(QStringLiteral("queue not empty")));
        queue.setProducers(producers);
        std::atomic<std::int64_t> produced { 0 }, consumed { 0 }, consumedSum { 0 };
        const auto depth = ctx.addCounter(QStringLiteral("items waiting"), [&] { return queue.depth(); });

        std::vector<std::uint32_t> workers;
        for (int i = 1; i <= producers; ++i)
            workers.push_back(ctx.addWorker(QStringLiteral("Producer-%1").arg(i)));
        for (int i = 1; i <= consumers; ++i)
            workers.push_back(ctx.addWorker(QStringLiteral("Consumer-%1").arg(i)));
        std::vector<std::int64_t> blockedNs(workers.size(), 0), cpuNs(workers.size(), 0);

        const std::int64_t started = clock::monotonicNs();
        runWorkers(ctx, Backend::StdThread, workers, [&](std::uint32_t worker, Recorder& rec) {
            const std::size_t i = worker - workers.front();
            const std::int64_t cpu0 = threadCpuNs();
            if (i < std::size_t(producers)) {
                // Producer i makes items i*items+1 .. (i+1)*items, so every item is distinct and their sum known.
                for (std::int64_t k = 1; k <= items && !ctx.stopRequested(); ++k) {
                    burnCpu(ctx, produce);
                    if (!queue.put(std::int64_t(i) * items + k, rec, ctx, blockedNs[i]))
                        break;
                    produced.fetch_add(1);
                }
                queue.producerDone();
            } else {
                while (const auto item = queue.take(rec, ctx, blockedNs[i])) {
                    burnCpu(ctx, consume);
                    consumed.fetch_add(1);
                    consumedSum.fetch_add(*item);
                }
            }
            cpuNs[i] = threadCpuNs() - cpu0;
        });
        const std::int64_t wall = clock::monotonicNs() - started;

        std::int64_t producersBlocked = 0, consumersBlocked = 0, cpu = 0;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            ctx.setWorkerFigure(workers[i], QStringLiteral("blocked_ns"), qint64(blockedNs[i]));
            ctx.setWorkerFigure(workers[i], QStringLiteral("cpu_ns"), qint64(cpuNs[i]));
            (i < std::size_t(producers) ? producersBlocked : consumersBlocked) += blockedNs[i];
            cpu += cpuNs[i];
        }
        const std::int64_t total = std::int64_t(producers) * items;
        ctx.setResult(QStringLiteral("produced"), qint64(produced.load()));
        ctx.setResult(QStringLiteral("consumed"), qint64(consumed.load()));
        ctx.setResult(QStringLiteral("every_item_once"),
            consumed.load() == total && consumedSum.load() == total * (total + 1) / 2);
        ctx.setResult(QStringLiteral("max_depth"), qint64(queue.maxDepth()));
        ctx.setResult(QStringLiteral("producers_blocked_ms"), double(producersBlocked) / 1e6);
        ctx.setResult(QStringLiteral("consumers_blocked_ms"), double(consumersBlocked) / 1e6);
        ctx.setResult(QStringLiteral("cpu_ms"), double(cpu) / 1e6);
        ctx.setResult(QStringLiteral("wall_ms"), double(wall) / 1e6);
        ctx.setResult(
            QStringLiteral("cpu_per_item_us"), consumed.load() > 0 ? double(cpu) / 1e3 / double(consumed.load()) : 0.0);
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const QJsonObject r = summary[u"results"].toObject();
        const bool busy = summary[u"params"].toObject()[u"waiting"].toString() == u"busy-poll";
        QString text
            = QStringLiteral("%1 items made, %2 consumed%3; the queue held at most %4. Producers were blocked on "
                             "a full queue for %5 ms in all, consumers on an empty one for %6 ms. ")
                  .arg(r[u"produced"].toInteger())
                  .arg(r[u"consumed"].toInteger())
                  .arg(r[u"every_item_once"].toBool() ? QStringLiteral(", each exactly once") : QString())
                  .arg(r[u"max_depth"].toInteger())
                  .arg(r[u"producers_blocked_ms"].toDouble(), 0, 'f', 0)
                  .arg(r[u"consumers_blocked_ms"].toDouble(), 0, 'f', 0);
        text += QStringLiteral("The threads used <b>%1 ms of CPU</b> in %2 ms (%3 µs per item). ")
                    .arg(r[u"cpu_ms"].toDouble(), 0, 'f', 0)
                    .arg(r[u"wall_ms"].toDouble(), 0, 'f', 0)
                    .arg(r[u"cpu_per_item_us"].toDouble(), 0, 'f', 0);
        text += busy
            ? QStringLiteral("Busy polling kept the waiting threads on the CPU, checking an empty or full queue "
                             "over and over: compare with condition-variable.")
            : QStringLiteral("A blocked thread slept on a condition variable (red) and used no CPU until "
                             "notified: compare with busy-poll.");
        return text;
    }
};
}

std::unique_ptr<Scenario> makeProducerConsumer()
{
    return std::make_unique<ProducerConsumer>();
}

} // namespace tl
