#include "taskpool.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../processes/fdio.h"
#include "../run/runcontext.h"
#include "../run/workers.h"
#include "../trace/systemerror.h"
#include "factorial.h"
#include "httpget.h"
#include "preemption.h"
#include "simulatedgil.h"

#include <QJsonArray>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

namespace tl {

namespace {
// A worker process's descriptors: its task pipe (read) and the shared result pipe (write).
constexpr int kTaskFd = 3;
constexpr int kResultFd = 4;

// A URL on a pipe: its length, then its bytes.
bool sendUrl(int fd, const QUrl& url)
{
    const QByteArray text = url.toEncoded();
    const auto size = std::uint32_t(text.size());
    return writeAll(fd, &size, sizeof size) && writeAll(fd, text.constData(), size);
}

bool receiveUrl(int fd, QUrl* url)
{
    constexpr std::uint32_t kMaxUrl = 4096;
    std::uint32_t size = 0;
    if (!readAll(fd, &size, sizeof size) || size > kMaxUrl)
        return false;
    QByteArray text(qsizetype(size), '\0');
    if (!readAll(fd, text.data(), size))
        return false;
    *url = QUrl::fromEncoded(text);
    return true;
}

struct TaskRecord {
    std::int64_t index;
    std::int64_t submittedNs;
};

// Well under PIPE_BUF, so that results written by several workers to one pipe never interleave.
struct ResultRecord {
    std::int32_t worker;
    std::int32_t index; // -1: the worker is ready for tasks
    std::int64_t startedNs;
    std::int64_t finishedNs;
    std::int64_t figure;
    std::uint64_t cpus;
    char error[200];
};
static_assert(sizeof(ResultRecord) <= PIPE_BUF);

// The next record on the result pipe, waiting up to `timeoutMs`; none on timeout or once every writer is gone.
std::optional<ResultRecord> nextResult(int fd, int timeoutMs)
{
    pollfd p { fd, POLLIN, 0 };
    ResultRecord r {};
    if (::poll(&p, 1, timeoutMs) <= 0 || !readAll(fd, &r, sizeof r))
        return std::nullopt;
    return r;
}

double ms(std::int64_t ns)
{
    return double(ns) / 1e6;
}

std::uint64_t cpuBit()
{
    const int cpu = sched_getcpu();
    return cpu >= 0 && cpu < 64 ? std::uint64_t(1) << cpu : 0;
}

// The batch's shared queue, as the threads of a pool (or the one sequential worker) take tasks from it.
struct TaskQueue {
    const Workload& work;
    PoolProgress& progress;
    std::int64_t submittedNs = clock::monotonicNs();
    std::atomic<int> next { 0 };
    std::vector<TaskOutcome> outcomes; // each written by the worker that ran the task, read after all joined

    TaskQueue(const Workload& w, PoolProgress& p)
        : work(w)
        , progress(p)
        , outcomes(std::size_t(w.tasks))
    {
        progress.start(w.tasks);
    }

    void drain(int worker, Recorder& rec, SimulatedGil* gil, const std::function<bool()>& stopped)
    {
        PreemptionProbe probe;
        for (int i = next.fetch_add(1); i < work.tasks && !stopped(); i = next.fetch_add(1)) {
            progress.waiting.fetch_sub(1);
            TaskOutcome o = runTask(work, i, rec, probe, gil, stopped);
            o.worker = worker;
            o.submittedNs = submittedNs;
            outcomes[std::size_t(i)] = std::move(o);
            progress.done.fetch_add(1);
        }
    }

    BatchOutcome finish(Executor executor, int workers, bool gil)
    {
        BatchOutcome batch { executor, workers, gil, clock::monotonicNs() - submittedNs, 0, std::move(outcomes) };
        for (std::size_t i = 0; i < batch.tasks.size(); ++i)
            if (batch.tasks[i].index < 0) // never started: the run was stopped
                batch.tasks[i] = {
                    int(i),
                    -1,
                    submittedNs,
                    0,
                    0,
                    -1,
                    0,
                    QStringLiteral("stopped"),
                };
        return batch;
    }
};
}

QString executorName(Executor executor)
{
    switch (executor) {
    case Executor::Sequential:
        return QStringLiteral("sequential");
    case Executor::Threads:
        return QStringLiteral("threads");
    case Executor::Processes:
        return QStringLiteral("processes");
    }
    return {};
}

int BatchOutcome::succeeded() const
{
    return int(std::count_if(tasks.begin(), tasks.end(), [](const TaskOutcome& t) { return t.succeeded(); }));
}

std::uint64_t BatchOutcome::cpus() const
{
    std::uint64_t all = 0;
    for (const auto& t : tasks)
        all |= t.cpus;
    return all;
}

QStringList BatchOutcome::figureOrder()
{
    // A batch's figures, its tasks' columns, then the executors as rows of a table of batches and the
    // HTTP server the I/O tasks used.
    return { QStringLiteral("executor"), QStringLiteral("workers"), QStringLiteral("gil"), QStringLiteral("tasks"),
        QStringLiteral("succeeded"), QStringLiteral("failed"), QStringLiteral("wall_ms"), QStringLiteral("startup_ms"),
        QStringLiteral("mean_queue_ms"), QStringLiteral("mean_run_ms"), QStringLiteral("mean_latency_ms"),
        QStringLiteral("task"), QStringLiteral("worker"), QStringLiteral("queue_ms"), QStringLiteral("run_ms"),
        QStringLiteral("latency_ms"), QStringLiteral("result"), executorName(Executor::Sequential),
        executorName(Executor::Threads), QStringLiteral("threads_gil"), executorName(Executor::Processes),
        QStringLiteral("server") };
}

QJsonObject BatchOutcome::toJson(bool perTask) const
{
    double queue = 0, run = 0, latency = 0;
    QJsonArray rows;
    for (const auto& t : tasks) {
        if (!t.succeeded())
            continue;
        queue += ms(t.startedNs - t.submittedNs);
        run += ms(t.finishedNs - t.startedNs);
        latency += ms(t.finishedNs - t.submittedNs);
    }
    const int n = std::max(succeeded(), 1);
    QJsonObject o {
        { QStringLiteral("executor"), executorName(executor) },
        { QStringLiteral("workers"), workers },
        { QStringLiteral("gil"), gil },
        { QStringLiteral("wall_ms"), ms(wallNs) },
        { QStringLiteral("succeeded"), succeeded() },
        { QStringLiteral("failed"), int(tasks.size()) - succeeded() },
        { QStringLiteral("mean_queue_ms"), queue / n },
        { QStringLiteral("mean_run_ms"), run / n },
        { QStringLiteral("mean_latency_ms"), latency / n },
    };
    if (executor == Executor::Processes)
        o.insert(QStringLiteral("startup_ms"), ms(startupNs));
    if (perTask) {
        for (const auto& t : tasks) {
            QJsonObject row { { QStringLiteral("task"), t.index }, { QStringLiteral("worker"), t.worker + 1 } };
            if (t.succeeded()) {
                row.insert(QStringLiteral("queue_ms"), ms(t.startedNs - t.submittedNs));
                row.insert(QStringLiteral("run_ms"), ms(t.finishedNs - t.startedNs));
                row.insert(QStringLiteral("latency_ms"), ms(t.finishedNs - t.submittedNs));
                row.insert(QStringLiteral("result"), qint64(t.figure));
            } else {
                row.insert(QStringLiteral("error"), t.error);
            }
            rows.append(row);
        }
        o.insert(QStringLiteral("tasks"), rows);
    }
    return o;
}

TaskOutcome runTask(const Workload& work, int index, Recorder& rec, PreemptionProbe& probe, SimulatedGil* gil,
    const std::function<bool()>& stopped)
{
    TaskOutcome o;
    o.index = index;
    o.startedNs = clock::monotonicNs();
    o.cpus = cpuBit();
    if (!probe.mark(rec)) // waits for a CPU since the last task go before this one begins
        rec.record(EventKind::Running);
    rec.record(EventKind::Mark, index); // a task begins
    if (gil && !gil->acquire(rec)) {
        o.error = QStringLiteral("stopped");
        return o;
    }
    bool holdingGil = gil != nullptr;
    if (work.kind == WorkKind::Cpu) {
        o.figure = factorialDigits(std::uint64_t(work.number + index), [&] {
            // Every checkpoint is an event, so the timeline knows which CPU the task is on as it moves, and
            // when it had to wait for one (more threads than cores, or confined to one core).
            if (!probe.mark(rec))
                rec.record(EventKind::Running);
            o.cpus |= cpuBit();
            if (stopped())
                return false;
            if (gil && !gil->checkInterval(rec))
                return holdingGil = false;
            return true;
        });
    } else {
        // Building the request is Python code (under the GIL); waiting for the answer is not.
        if (gil)
            gil->release(rec);
        rec.record(EventKind::IoWait);
        const HttpResult r = httpGet(QUrl(work.url.toString() + QString::number(index)), work.timeout, stopped);
        rec.record(EventKind::Running);
        holdingGil = gil && gil->acquire(rec);
        o.figure = r.bytes;
        o.error = r.error;
    }
    probe.mark(rec); // e.g. while the factorial was turned into text, which has no checkpoints
    if (holdingGil)
        gil->release(rec);
    if (o.figure < 0 && o.error.isEmpty())
        o.error = QStringLiteral("stopped");
    o.finishedNs = clock::monotonicNs();
    return o;
}

SequentialExecutor::SequentialExecutor(RunContext& ctx, const QString& lane)
    : m_ctx(ctx)
    , m_lane(ctx.addWorker(lane))
{
    ctx.setSchedulerSource(QStringLiteral("schedstat")); // every executor's tasks run under a PreemptionProbe
}

BatchOutcome SequentialExecutor::run(const Workload& work, PoolProgress& progress)
{
    TaskQueue queue(work, progress);
    runAsWorker(m_ctx, m_lane,
        [&](std::uint32_t, Recorder& rec) { queue.drain(0, rec, nullptr, [this] { return m_ctx.stopRequested(); }); });
    return queue.finish(Executor::Sequential, 1, false);
}

ThreadPoolExecutor::ThreadPoolExecutor(RunContext& ctx, int maxWorkers)
    : m_ctx(ctx)
{
    ctx.setSchedulerSource(QStringLiteral("schedstat"));
    for (int i = 1; i <= maxWorkers; ++i)
        m_lanes.push_back(ctx.addWorker(QStringLiteral("Thread-%1").arg(i)));
}

BatchOutcome ThreadPoolExecutor::run(const Workload& work, int workers, SimulatedGil* gil, PoolProgress& progress)
{
    TaskQueue queue(work, progress);
    const std::vector<std::uint32_t> lanes(m_lanes.begin(), m_lanes.begin() + workers);
    runWorkers(m_ctx, Backend::ThreadPool, lanes, [&](std::uint32_t lane, Recorder& rec) {
        queue.drain(int(lane - lanes.front()), rec, gil, [this] { return m_ctx.stopRequested(); });
    });
    return queue.finish(Executor::Threads, workers, gil != nullptr);
}

ProcessPoolExecutor::ProcessPoolExecutor(
    RunContext& ctx, Children& children, int maxWorkers, const Workload& work, const QString& role)
    : m_ctx(ctx)
    , m_children(children)
    , m_startupNs(std::size_t(maxWorkers), -1)
{
    ctx.setSchedulerSource(QStringLiteral("schedstat"));
    int results[2];
    if (::pipe2(results, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("cannot create a pipe: ") + systemErrorText(errno));
    m_resultFd = results[0];
    std::vector<std::int64_t> spawnedNs;
    const QString kind = work.kind == WorkKind::Cpu ? QStringLiteral("cpu") : QStringLiteral("io");
    for (int w = 0; w < maxWorkers; ++w) {
        int tasks[2];
        if (::pipe2(tasks, O_CLOEXEC) != 0) {
            ::close(results[1]);
            throw std::runtime_error(std::string("cannot create a pipe: ") + systemErrorText(errno));
        }
        m_taskFds.push_back(tasks[1]);
        ChildSpec spec { QStringLiteral("Worker-%1").arg(w + 1), role,
            { kind, QString::number(work.number), QString::number(work.timeout.count()), QString::number(w) }, {},
            work.kind == WorkKind::Cpu
                ? QStringLiteral("pool worker %1: factorials from %2!").arg(w + 1).arg(work.number)
                : QStringLiteral("pool worker %1: GET %2").arg(w + 1).arg(shownUrl(work.url)),
            {}, { { tasks[0], kTaskFd }, { results[1], kResultFd } } };
        spawnedNs.push_back(clock::monotonicNs());
        try {
            m_childIndex.push_back(children.start(spec));
        } catch (...) {
            ::close(tasks[0]);
            ::close(results[1]);
            throw;
        }
        ::close(tasks[0]); // only the child reads its tasks now
        // The URL carries the server's secret: through the task pipe, never on a command line any user reads.
        if (work.kind == WorkKind::Io && !sendUrl(tasks[1], work.url)) {
            ::close(results[1]);
            throw std::runtime_error(std::string("cannot hand the URL to a pool worker: ") + systemErrorText(errno));
        }
    }
    ::close(results[1]); // only the children write results: when all are gone, reading ends

    // Wait until every worker is ready (or gone), as ProcessPoolExecutor's first map() waits for its start-up.
    int ready = 0;
    while (ready < maxWorkers && !ctx.stopRequested()) {
        if (const auto r = nextResult(m_resultFd, 20)) {
            m_startupNs[std::size_t(r->worker)] = r->startedNs - spawnedNs[std::size_t(r->worker)];
            ++ready;
        }
        children.service();
        int gone = 0;
        for (int w = 0; w < maxWorkers; ++w)
            gone += m_startupNs[std::size_t(w)] < 0 && children.info(m_childIndex[std::size_t(w)]).ended();
        if (ready + gone == maxWorkers)
            break;
    }
}

ProcessPoolExecutor::~ProcessPoolExecutor()
{
    for (int fd : m_taskFds)
        ::close(fd);
    ::close(m_resultFd);
    m_children.waitForAll();
}

std::int64_t ProcessPoolExecutor::startupNs() const
{
    return m_startupNs.empty() ? 0 : *std::max_element(m_startupNs.begin(), m_startupNs.end());
}

BatchOutcome ProcessPoolExecutor::run(const Workload& work, int workers, PoolProgress& progress, bool killOne)
{
    BatchOutcome batch { Executor::Processes, workers, false, 0, startupNs(), {} };
    batch.tasks.resize(std::size_t(work.tasks));
    progress.start(work.tasks);
    const std::int64_t submitted = clock::monotonicNs();
    for (int i = 0; i < work.tasks; ++i)
        batch.tasks[std::size_t(i)] = { i, -1, submitted, 0, 0, -1, 0, {} };

    std::vector<int> busy(std::size_t(workers), -1); // the task each worker has, -1 when idle
    std::vector<bool> gone(std::size_t(workers), false);
    int next = 0;
    int finished = 0;
    auto complete = [&](int worker) {
        busy[std::size_t(worker)] = -1;
        ++finished;
        progress.done.fetch_add(1);
    };
    auto dispatch = [&](int worker) {
        if (next >= work.tasks || gone[std::size_t(worker)])
            return;
        const TaskRecord t { next, submitted };
        if (!writeAll(m_taskFds[std::size_t(worker)], &t, sizeof t)) {
            gone[std::size_t(worker)] = true;
            return;
        }
        busy[std::size_t(worker)] = next++;
        progress.waiting.fetch_sub(1);
    };
    auto takeResults = [&](int timeoutMs) {
        while (const auto record = nextResult(m_resultFd, timeoutMs)) {
            const ResultRecord& r = *record;
            const int w = r.worker;
            if (r.index < 0 || w >= workers || busy[std::size_t(w)] != r.index)
                continue;
            auto& t = batch.tasks[std::size_t(r.index)];
            t.worker = w;
            t.startedNs = r.startedNs;
            t.finishedNs = r.finishedNs;
            t.figure = r.figure;
            t.cpus = r.cpus;
            t.error = QString::fromUtf8(r.error);
            complete(w);
            dispatch(w);
            timeoutMs = 0;
        }
    };

    Recorder& rec = m_ctx.recorder(m_children.parentWorker());
    rec.record(EventKind::Sleeping); // the parent hands out tasks and waits for results
    for (int w = 0; w < workers; ++w)
        dispatch(w);
    while (finished < work.tasks && !m_ctx.stopRequested()) {
        takeResults(20);
        m_children.service(killOne);
        int alive = 0;
        for (int w = 0; w < workers; ++w) {
            const ProcessInfo info = m_children.info(m_childIndex[std::size_t(w)]);
            if (!info.ended() && !gone[std::size_t(w)]) {
                ++alive;
                continue;
            }
            gone[std::size_t(w)] = true;
            if (const int task = busy[std::size_t(w)]; task >= 0) {
                takeResults(0); // its result may have arrived just before it ended
                if (busy[std::size_t(w)] == task) {
                    batch.tasks[std::size_t(task)].worker = w;
                    batch.tasks[std::size_t(task)].error
                        = QStringLiteral("worker process %1 %2").arg(info.name, info.stateText());
                    complete(w);
                }
            }
        }
        if (alive == 0) {
            for (; next < work.tasks; ++next, ++finished)
                batch.tasks[std::size_t(next)].error = QStringLiteral("no worker process left");
        }
    }
    rec.record(EventKind::Running);
    batch.wallNs = clock::monotonicNs() - submitted;
    for (auto& t : batch.tasks)
        if (t.finishedNs == 0 && t.error.isEmpty())
            t.error = QStringLiteral("stopped");
    return batch;
}

int runPoolWorker(ChildContext& child)
{
    Workload work;
    work.kind = child.arg(0) == u"io" ? WorkKind::Io : WorkKind::Cpu;
    work.number = child.arg(1).toLongLong();
    work.timeout = std::chrono::milliseconds(child.arg(2).toLongLong());
    const int worker = child.arg(3).toInt();
    if (work.kind == WorkKind::Io && !receiveUrl(kTaskFd, &work.url))
        return 1;

    Recorder& rec = child.recorder();
    ResultRecord ready {};
    ready.worker = worker;
    ready.index = -1;
    ready.startedNs = clock::monotonicNs();
    if (!writeAll(kResultFd, &ready, sizeof ready))
        return 1;
    int done = 0;
    PreemptionProbe probe;
    for (;;) {
        rec.record(EventKind::Sleeping); // idle: waiting for a task
        TaskRecord t {};
        if (!readAll(kTaskFd, &t, sizeof t))
            break; // the pool is shut down
        const TaskOutcome o = runTask(work, int(t.index), rec, probe, nullptr, [] { return false; });
        ResultRecord r {};
        r.worker = worker;
        r.index = std::int32_t(t.index);
        r.startedNs = o.startedNs;
        r.finishedNs = o.finishedNs;
        r.figure = o.figure;
        r.cpus = o.cpus;
        std::strncpy(r.error, o.error.toUtf8().constData(), sizeof r.error - 1);
        if (!writeAll(kResultFd, &r, sizeof r))
            break;
        ++done;
    }
    rec.record(EventKind::Running);
    child.report(QStringLiteral("tasks_done"), done);
    return 0;
}

} // namespace tl
