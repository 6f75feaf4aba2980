#include "workers.h"

#include "../sync/handover.h"

#include <QRunnable>
#include <QThreadPool>
#include <cstdio>
#include <fcntl.h>
#include <memory>
#include <thread>
#include <unistd.h>

namespace tl {

namespace {
// A pool task that takes its hand-over before it reads anything: a std::function run through
// QThreadPool::start(std::function) is read by the pool thread before its first statement could.
class PoolTask : public QRunnable {
public:
    explicit PoolTask(std::function<void()> work)
        : m_work(std::move(work))
    {
        setAutoDelete(false);
    }
    void run() override
    {
        started.take(); // `started` is this object's own: finding it reads no memory
        m_work();
    }
    HandOver started;

private:
    std::function<void()> m_work;
};

// How long the calling thread has waited for a CPU while ready to run (the kernel's run-queue time, field 2 of
// /proc/thread-self/schedstat); -1 where the kernel does not keep it.
std::int64_t runQueueNs()
{
    // Read into a buffer on the stack: a worker out of memory must still get here and finish.
    const int fd = ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char text[96] = {};
    const ssize_t n = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    unsigned long long onCpu = 0, waiting = 0;
    return n > 0 && std::sscanf(text, "%llu %llu", &onCpu, &waiting) == 2 ? std::int64_t(waiting) : -1;
}

// `ownThread`: the worker runs on a thread of its own, where an exception would end ThreadLab (std::terminate)
// with the run's shared memory in place; the run fails instead, and says why. On the scenario's thread it
// goes on up to the scenario.
void runBound(RunContext& ctx, std::uint32_t worker, Recorder& rec, const WorkerBody& body, bool ownThread)
{
    const auto failed = [&](const std::exception& e) {
        if (!ownThread)
            throw;
        ctx.failFromOwnThread(
            [&] { return QStringLiteral("%1: %2").arg(ctx.workers().at(worker).name, failureText(e)); });
    };
    // Followed by the kernel before its first event: the lane's Started must not claim a CPU that no switch
    // record can contradict.
    try {
        ctx.bindCurrentThread(worker);
    } catch (const std::exception& e) {
        failed(e);
        return;
    }
    rec.record(EventKind::Started);
    const std::int64_t queuedBefore = runQueueNs();
    const std::int64_t started = clock::monotonicNs();
    try {
        body(worker, rec);
    } catch (const std::exception& e) {
        rec.record(EventKind::Finished);
        failed(e);
        return;
    }
    rec.record(EventKind::Finished);
    const std::int64_t queuedAfter = runQueueNs();
    ctx.setWorkerTimes(worker, clock::monotonicNs() - started,
        queuedBefore >= 0 && queuedAfter >= queuedBefore ? queuedAfter - queuedBefore : -1);
}
}

void runAsWorker(RunContext& ctx, std::uint32_t worker, const WorkerBody& body)
{
    runBound(ctx, worker, ctx.recorder(worker), body, false);
}

void detail::runOnOwnThread(RunContext& ctx, std::uint32_t worker, const WorkerBody& body)
{
    runBound(ctx, worker, ctx.recorder(worker), body, true);
}

void runWorkers(RunContext& ctx, Backend backend, const std::vector<std::uint32_t>& workers, const WorkerBody& body)
{
    std::vector<Recorder*> recs;
    for (const auto w : workers)
        recs.push_back(&ctx.recorder(w));

    if (backend == Backend::StdThread) {
        std::vector<std::jthread> threads;
        threads.reserve(workers.size());
        try {
            for (std::size_t i = 0; i < workers.size(); ++i)
                threads.emplace_back([&, i] { runBound(ctx, workers[i], *recs[i], body, true); });
        } catch (...) {
            ctx.requestStop(); // a thread could not be made: the others give up their waits, then join
            throw;
        }
        return; // jthreads join here
    }

    // An explicitly sized pool: the global one has idealThreadCount() threads and would silently queue.
    // The pool orders each start() before its task runs and every task before waitForDone() returns, but
    // through its own QMutex, which ThreadSanitizer cannot see; the tasks' hand-overs make both orders
    // visible (see HandOver). The tasks outlive the pool, whose threads touch them until it is gone.
    std::vector<std::unique_ptr<PoolTask>> tasks;
    HandOver finished;
    QThreadPool pool;
    pool.setMaxThreadCount(int(workers.size()));
    for (std::size_t i = 0; i < workers.size(); ++i) {
        // The recorder's single writer is handed over with the task; Recorder::record() orders the new
        // writer after this Enqueued event (its acquire load of the head), whatever the pool does inside.
        recs[i]->record(EventKind::Enqueued);
        tasks.push_back(std::make_unique<PoolTask>([&, i] {
            runBound(ctx, workers[i], *recs[i], body, true);
            finished.give();
        }));
        PoolTask* task = tasks.back().get();
        task->started.give([&] { pool.start(task); });
    }
    pool.waitForDone();
    finished.take();
}

std::vector<std::uint32_t> addWorkers(RunContext& ctx, int count, const QString& prefix)
{
    std::vector<std::uint32_t> ids;
    for (int i = 1; i <= count; ++i)
        ids.push_back(ctx.addWorker(QStringLiteral("%1-%2").arg(prefix).arg(i)));
    return ids;
}

} // namespace tl

namespace tl {

void burnCpu(const RunContext& ctx, std::chrono::nanoseconds duration)
{
    const auto end = clock::monotonicNs() + duration.count();
    unsigned spins = 0;
    while (clock::monotonicNs() < end) {
        if (++spins % 1024 == 0 && ctx.stopRequested())
            return;
    }
}

QStringList commonWorkerFigures()
{
    return { QStringLiteral("tid"), QStringLiteral("elapsed_ns"), QStringLiteral("runqueue_ns"),
        QStringLiteral("acquisitions"), QStringLiteral("waited"), QStringLiteral("wait_ns"),
        QStringLiteral("longest_wait_ns"), QStringLiteral("hold_ns") };
}

void reportLockStats(RunContext& ctx, std::uint32_t worker, const LockStats& stats)
{
    if (stats.acquisitions == 0)
        return; // race-counter with lock=none took no lock: zeros would read as a lock that was free
    ctx.setWorkerFigure(worker, QStringLiteral("wait_ns"), qint64(clock::ticksToNs(stats.waitTicks)));
    ctx.setWorkerFigure(worker, QStringLiteral("hold_ns"), qint64(clock::ticksToNs(stats.holdTicks)));
    ctx.setWorkerFigure(worker, QStringLiteral("acquisitions"), qint64(stats.acquisitions));
    ctx.setWorkerFigure(worker, QStringLiteral("waited"), qint64(stats.waits)); // found the lock taken
    ctx.setWorkerFigure(worker, QStringLiteral("longest_wait_ns"), qint64(clock::ticksToNs(stats.longestWaitTicks)));
}

} // namespace tl
