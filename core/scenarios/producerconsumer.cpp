#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

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

enum Waiting : int { ConditionVariable, BusyPoll };

struct Params {
    int producers = 0;
    int consumers = 0;
    std::int64_t items = 0;
    std::size_t capacity = 0;
    std::chrono::microseconds produce {};
    std::chrono::microseconds consume {};
    Waiting waiting = ConditionVariable;
};
const ParamTable<Params> kParams {
    param(&Params::producers,
        ParamSpec::integer(QStringLiteral("producers"), 2, 1, 16, QStringLiteral("Producer threads"))),
    param(&Params::consumers,
        ParamSpec::integer(QStringLiteral("consumers"), 2, 1, 16, QStringLiteral("Consumer threads"))),
    param(&Params::items,
        ParamSpec::integer(QStringLiteral("items"), 200, 1, 1'000'000, QStringLiteral("Items each producer puts"))),
    param(&Params::capacity,
        ParamSpec::integer(QStringLiteral("capacity"), 8, 1, 10'000,
            QStringLiteral("How many items the queue holds before put() blocks"))),
    param(&Params::produce,
        ParamSpec::integer(QStringLiteral("produce_us"), 500, 0, 1'000'000,
            QStringLiteral("Time a producer computes each item"), QStringLiteral("µs"))),
    param(&Params::consume,
        ParamSpec::integer(QStringLiteral("consume_us"), 1000, 0, 1'000'000,
            QStringLiteral("Time a consumer computes on each item"), QStringLiteral("µs"))),
    param(&Params::waiting,
        ParamSpec::choice(QStringLiteral("waiting"),
            { QStringLiteral("condition-variable"), QStringLiteral("busy-poll") }, ConditionVariable,
            QStringLiteral("condition-variable: a blocked thread sleeps until notified; busy-poll: it checks the "
                           "queue again and again, using a CPU the whole time"))),
};

struct Results {
    qint64 produced = 0;
    qint64 consumed = 0;
    bool everyItemOnce = false;
    qint64 maxDepth = 0;
    double producersBlockedMs = 0;
    double consumersBlockedMs = 0;
    double wallMs = 0;
    double cpuMs = 0;
    double cpuPerItemUs = 0;
};
const ResultTable<Results> kResults {
    result(&Results::produced, QStringLiteral("produced")),
    result(&Results::consumed, QStringLiteral("consumed")),
    result(&Results::everyItemOnce, QStringLiteral("every_item_once")),
    result(&Results::maxDepth, QStringLiteral("max_depth")),
    result(&Results::producersBlockedMs, QStringLiteral("producers_blocked_ms")),
    result(&Results::consumersBlockedMs, QStringLiteral("consumers_blocked_ms")),
    result(&Results::wallMs, QStringLiteral("wall_ms")),
    result(&Results::cpuMs, QStringLiteral("cpu_ms")),
    result(&Results::cpuPerItemUs, QStringLiteral("cpu_per_item_us")),
};

// Each thread's figures.
struct WorkerFigures {
    qint64 blockedNs = 0;
    qint64 cpuNs = 0;
};
const ResultTable<WorkerFigures> kWorkerFigures {
    result(&WorkerFigures::blockedNs, QStringLiteral("blocked_ns")),
    result(&WorkerFigures::cpuNs, QStringLiteral("cpu_ns")),
};

// Threads around a bounded queue: P producers, C consumers. Waiting on condition variables blocks a thread
// until there is room or an item; busy polling keeps checking, and burns a CPU doing it.
class ProducerConsumer final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("producer-consumer"),
            .title = QStringLiteral("Producers and consumers: threads"),
            .summary
            = QStringLiteral("Threads around a bounded queue: blocked on full, blocked on empty, or busy polling"),
            .topic = QStringLiteral("Use queues for thread-safe communication; synchronize access properly"),
            .params = kParams.specs(),
            .results = kResults.keys() + kWorkerFigures.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const int producers = p.producers;
        const std::int64_t items = p.items;
        const bool busyPoll = p.waiting == BusyPoll;

        BoundedQueue queue(p.capacity, busyPoll, ctx.addExternalLock(QStringLiteral("queue not full")),
            ctx.addExternalLock(QStringLiteral("queue not empty")));
        queue.setProducers(producers);
        std::atomic<std::int64_t> produced { 0 }, consumed { 0 }, consumedSum { 0 };
        const auto depth = ctx.addCounter(QStringLiteral("items waiting"), [&] { return queue.depth(); });

        std::vector<std::uint32_t> workers;
        for (int i = 1; i <= producers; ++i)
            workers.push_back(ctx.addWorker(QStringLiteral("Producer-%1").arg(i)));
        for (int i = 1; i <= p.consumers; ++i)
            workers.push_back(ctx.addWorker(QStringLiteral("Consumer-%1").arg(i)));
        std::vector<std::int64_t> blockedNs(workers.size(), 0), cpuNs(workers.size(), 0);

        const std::int64_t started = clock::monotonicNs();
        runWorkers(ctx, Backend::StdThread, workers, [&](std::uint32_t worker, Recorder& rec) {
            const std::size_t i = worker - workers.front();
            const std::int64_t cpu0 = threadCpuNs();
            if (i < std::size_t(producers)) {
                // Producer i makes items i*items+1 .. (i+1)*items, so every item is distinct and their sum known.
                for (std::int64_t k = 1; k <= items && !ctx.stopRequested(); ++k) {
                    burnCpu(ctx, p.produce);
                    if (!queue.put(std::int64_t(i) * items + k, rec, ctx, blockedNs[i]))
                        break;
                    produced.fetch_add(1);
                }
                queue.producerDone();
            } else {
                while (const auto item = queue.take(rec, ctx, blockedNs[i])) {
                    burnCpu(ctx, p.consume);
                    consumed.fetch_add(1);
                    consumedSum.fetch_add(*item);
                }
            }
            cpuNs[i] = threadCpuNs() - cpu0;
        });
        const std::int64_t wall = clock::monotonicNs() - started;

        std::int64_t producersBlocked = 0, consumersBlocked = 0, cpu = 0;
        for (std::size_t i = 0; i < workers.size(); ++i) {
            kWorkerFigures.forEach({ blockedNs[i], cpuNs[i] },
                [&](const QString& key, const QJsonValue& value) { ctx.setWorkerFigure(workers[i], key, value); });
            (i < std::size_t(producers) ? producersBlocked : consumersBlocked) += blockedNs[i];
            cpu += cpuNs[i];
        }
        const std::int64_t total = std::int64_t(producers) * items;
        kResults.report(ctx,
            {
                .produced = produced.load(),
                .consumed = consumed.load(),
                .everyItemOnce = consumed.load() == total && consumedSum.load() == total * (total + 1) / 2,
                .maxDepth = qint64(queue.maxDepth()),
                .producersBlockedMs = double(producersBlocked) / 1e6,
                .consumersBlockedMs = double(consumersBlocked) / 1e6,
                .wallMs = double(wall) / 1e6,
                .cpuMs = double(cpu) / 1e6,
                .cpuPerItemUs = consumed.load() > 0 ? double(cpu) / 1e3 / double(consumed.load()) : 0.0,
            });
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        const bool busy = kParams.fromSummary(summary).waiting == BusyPoll;
        QString text
            = QStringLiteral("%1 items made, %2 consumed%3; the queue held at most %4. Producers were blocked on "
                             "a full queue for %5 ms in all, consumers on an empty one for %6 ms. ")
                  .arg(r.produced)
                  .arg(r.consumed)
                  .arg(r.everyItemOnce ? QStringLiteral(", each exactly once") : QString())
                  .arg(r.maxDepth)
                  .arg(r.producersBlockedMs, 0, 'f', 0)
                  .arg(r.consumersBlockedMs, 0, 'f', 0);
        text += QStringLiteral("The threads used <b>%1 ms of CPU</b> in %2 ms (%3 µs per item). ")
                    .arg(r.cpuMs, 0, 'f', 0)
                    .arg(r.wallMs, 0, 'f', 0)
                    .arg(r.cpuPerItemUs, 0, 'f', 0);
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
