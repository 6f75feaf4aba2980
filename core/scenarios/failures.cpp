#include "scenario.h"

#include "../run/workers.h"

#include <QFile>
#include <QJsonArray>
#include <condition_variable>
#include <random>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace tl {

namespace {
enum class Fate { Succeed, Fail, Hang };
const char* const kFateNames[] = { "succeed", "fail", "hang" };
constexpr auto kSuperviseEvery = std::chrono::milliseconds(5);
constexpr auto kWorkSlice = std::chrono::milliseconds(1);

// What the kernel says about one of our threads: CPU time used, time spent ready but waiting for a CPU
// (counted only once the wait is over), and whether it is running or ready to run right now.
struct ThreadTimes {
    std::int64_t cpuNs = 0;
    std::int64_t queuedNs = 0;
    bool runnable = false;
};

ThreadTimes threadTimes(pid_t tid)
{
    ThreadTimes t;
    QFile schedstat(QStringLiteral("/proc/self/task/%1/schedstat").arg(tid));
    if (schedstat.open(QIODevice::ReadOnly)) {
        const QList<QByteArray> fields = schedstat.readAll().split(' ');
        t.cpuNs = fields.value(0).toLongLong();
        t.queuedNs = fields.value(1).toLongLong();
    }
    QFile stat(QStringLiteral("/proc/self/task/%1/stat").arg(tid));
    if (stat.open(QIODevice::ReadOnly)) {
        const QByteArray line = stat.readAll();
        const qsizetype end = line.lastIndexOf(')'); // the state follows the thread's name
        t.runnable = end > 0 && line.size() > end + 2 && line[end + 2] == 'R';
    }
    return t;
}

// One task's shared state: the worker running it, and the supervisor that may cancel it.
struct TaskState {
    std::atomic<std::int64_t> startedNs { 0 };
    std::atomic<pid_t> tid { 0 };
    std::atomic<std::int64_t> cpuAtStartNs { 0 };
    std::atomic<std::int64_t> queuedAtStartNs { 0 };
    std::atomic<bool> cancelled { false };
    std::mutex mutex;
    std::condition_variable wake;

    void cancel()
    {
        {
            std::lock_guard lock(mutex);
            cancelled = true;
        }
        wake.notify_all();
    }
};

struct Outcome {
    QString kind; // "completed", "failed", "timed out", "not run"
    QString message;
    int worker = -1;
    std::int64_t startedNs = 0;
    std::int64_t endedNs = 0;
};

struct Cancelled { };

// Works for `duration` in slices, ending early (by throwing Cancelled) once the task is cancelled.
void work(const RunContext& ctx, TaskState& task, std::chrono::nanoseconds duration)
{
    for (auto left = duration; left > std::chrono::nanoseconds::zero(); left -= kWorkSlice) {
        if (task.cancelled || ctx.stopRequested())
            throw Cancelled {};
        burnCpu(ctx, std::min<std::chrono::nanoseconds>(left, kWorkSlice));
    }
}

// Fates are drawn up front from the seed, so a run can be repeated task for task.
std::vector<Fate> drawFates(const RunContext& ctx, int tasks)
{
    std::mt19937 random(std::uint32_t(ctx.value(QStringLiteral("seed"))));
    std::uniform_int_distribution<int> percent(0, 99);
    std::vector<Fate> fates;
    for (int i = 0; i < tasks; ++i) {
        const int roll = percent(random);
        fates.push_back(roll < ctx.value(QStringLiteral("failure_rate")) ? Fate::Fail
                : roll < ctx.value(QStringLiteral("failure_rate")) + ctx.value(QStringLiteral("hang_rate"))
                ? Fate::Hang
                : Fate::Succeed);
    }
    return fates;
}

// The supervisor: every task's deadline, like future.result(timeout) on each submitted future. A task that
// computes is timed out on its own CPU time: with more workers than cores (or other programs busy) a healthy
// task can take many times its length in wall time, waiting for a CPU. A task that waits (not running, not
// ready to run) is timed out on its time minus the time it spent queued for a CPU.
void superviseDeadlines(std::vector<TaskState>& state, std::int64_t timeoutNs, const std::atomic<bool>& finished)
{
    while (!finished) {
        std::this_thread::sleep_for(kSuperviseEvery);
        for (auto& t : state) {
            const auto started = t.startedNs.load();
            if (started == 0 || t.cancelled)
                continue;
            const ThreadTimes now = threadTimes(t.tid);
            const std::int64_t cpu = now.cpuNs - t.cpuAtStartNs;
            const std::int64_t unqueued = clock::monotonicNs() - started - (now.queuedNs - t.queuedAtStartNs);
            if (cpu > timeoutNs || (!now.runnable && unqueued > timeoutNs))
                t.cancel();
        }
    }
}

// Task `i` on the calling worker, to its fate or its deadline; `out` says how it ended.
void runTask(const RunContext& ctx, int i, Fate fate, std::chrono::milliseconds taskTime, std::int64_t timeoutNs,
    TaskState& task, Outcome& out, Recorder& rec)
{
    task.tid = ::gettid();
    const ThreadTimes atStart = threadTimes(task.tid);
    task.cpuAtStartNs = atStart.cpuNs;
    task.queuedAtStartNs = atStart.queuedNs;
    out.startedNs = clock::monotonicNs();
    task.startedNs = out.startedNs;
    rec.record(EventKind::Mark, i);
    rec.record(EventKind::Running);
    try {
        switch (fate) {
        case Fate::Succeed:
            work(ctx, task, taskTime);
            out = { QStringLiteral("completed"), QStringLiteral("result %1").arg(i * i), out.worker, out.startedNs };
            break;
        case Fate::Fail:
            work(ctx, task, taskTime / 2);
            throw std::runtime_error("invalid input in task " + std::to_string(i));
        case Fate::Hang: {
            // Waits for an answer that never comes; only the timeout (or Stop) ends the wait.
            rec.record(EventKind::IoWait);
            std::unique_lock lock(task.mutex);
            while (!task.cancelled && !ctx.stopRequested())
                task.wake.wait_for(lock, kSuperviseEvery);
            rec.record(EventKind::Running);
            throw Cancelled {};
        }
        }
    } catch (const std::exception& e) {
        out.kind = QStringLiteral("failed");
        out.message = QString::fromStdString(e.what());
    } catch (const Cancelled&) {
        out.kind = ctx.stopRequested() && !task.cancelled ? QStringLiteral("stopped") : QStringLiteral("timed out");
        out.message = QStringLiteral("no result after %1 ms").arg(timeoutNs / 1'000'000);
    }
    out.endedNs = clock::monotonicNs();
    task.startedNs = 0;
}

// The seed's logging pattern, one line per task in the order they ended, and the tally.
void publishLog(
    RunContext& ctx, const std::vector<Fate>& fates, const std::vector<Outcome>& outcomes, std::int64_t runStart)
{
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < outcomes.size(); ++i)
        if (outcomes[i].endedNs > 0)
            order.push_back(i);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return outcomes[a].endedNs < outcomes[b].endedNs; });
    QJsonArray log;
    int succeeded = 0, failed = 0, timedOut = 0;
    for (const std::size_t i : order) {
        const Outcome& o = outcomes[i];
        succeeded += o.kind == u"completed";
        failed += o.kind == u"failed";
        timedOut += o.kind == u"timed out";
        const QString line = o.kind == u"completed" ? QStringLiteral("Task completed: %1").arg(o.message)
            : o.kind == u"failed"                   ? QStringLiteral("Task failed: %1").arg(o.message)
                                                    : QStringLiteral("Task %1: %2").arg(o.kind, o.message);
        log.append(QJsonObject { { QStringLiteral("time_ms"), double(o.endedNs - runStart) / 1e6 },
            { QStringLiteral("task"), int(i) }, { QStringLiteral("worker"), o.worker + 1 },
            { QStringLiteral("outcome"), o.kind }, { QStringLiteral("log"), line },
            { QStringLiteral("drawn"), kFateNames[int(fates[i])] },
            { QStringLiteral("ran_ms"), double(o.endedNs - o.startedNs) / 1e6 },
            { QStringLiteral("from_ns"), qint64(o.startedNs) }, { QStringLiteral("to_ns"), qint64(o.endedNs) } });
    }
    const int tasks = int(fates.size());
    ctx.setResult(QStringLiteral("tasks"), tasks);
    ctx.setResult(QStringLiteral("succeeded"), succeeded);
    ctx.setResult(QStringLiteral("failed"), failed);
    ctx.setResult(QStringLiteral("timed_out"), timedOut);
    ctx.setResult(QStringLiteral("drawn_to_hang"), int(std::count(fates.begin(), fates.end(), Fate::Hang)));
    ctx.setResult(QStringLiteral("not_run"), tasks - int(order.size()));
    ctx.setResult(QStringLiteral("log"), log);
}

// The seed's best practices, failing on purpose: a pool runs tasks of which some raise an error, some hang
// past their deadline and some succeed. Every task gets a timeout (future.result(timeout=...)), a hung task
// is cancelled, and every outcome is logged ("Task completed: …" / "Task failed: …").
class FailingTasks final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("failures"),
            .title = QStringLiteral("Timeouts and failing tasks"),
            .summary = QStringLiteral("A pool runs tasks that succeed, raise an error or hang; timeouts end the hung ones"),
            .topic = QStringLiteral("Best practices: always set timeouts, handle exceptions, log task results"),
            .params = {
                ParamSpec::integer(QStringLiteral("tasks"), 20, 1, 1000, QStringLiteral("Tasks submitted to the pool")),
                ParamSpec::integer(QStringLiteral("workers"), 4, 1, 32, QStringLiteral("Threads in the pool")),
                ParamSpec::integer(QStringLiteral("failure_rate"), 20, 0, 100,
                    QStringLiteral("Share of the tasks that raise an error partway"), QStringLiteral("%")),
                ParamSpec::integer(QStringLiteral("hang_rate"), 15, 0, 100,
                    QStringLiteral("Share of the tasks that hang (wait for an answer that never comes)"),
                    QStringLiteral("%")),
                ParamSpec::integer(QStringLiteral("task_ms"), 50, 0, 10'000, QStringLiteral("How long a task computes"),
                    QStringLiteral("ms")),
                ParamSpec::integer(QStringLiteral("timeout_ms"), 200, 1, 60'000,
                    QStringLiteral("Each task's deadline, from its start: past it, it is cancelled and logged as timed "
                                   "out. A computing task is timed on its own CPU time, so a busy machine does not cut off "
                                   "healthy tasks; a waiting (hung) task on its time minus any time queued for a CPU"),
                    QStringLiteral("ms")),
                ParamSpec::integer(QStringLiteral("seed"), 42, 0, 2'000'000'000,
                    QStringLiteral("Which tasks fail or hang: the same seed gives the same ones")),
            },
            .results = { QStringLiteral("tasks"), QStringLiteral("succeeded"), QStringLiteral("failed"), QStringLiteral("timed_out"),
                QStringLiteral("drawn_to_hang"), QStringLiteral("not_run"), QStringLiteral("log"), QStringLiteral("task"),
                QStringLiteral("worker"), QStringLiteral("drawn"), QStringLiteral("outcome"), QStringLiteral("ran_ms"),
                QStringLiteral("time_ms") },
        };
    }

    void run(RunContext& ctx) override
    {
        const int tasks = int(ctx.value(QStringLiteral("tasks")));
        const int workerCount = int(ctx.value(QStringLiteral("workers")));
        const auto taskTime = std::chrono::milliseconds(ctx.value(QStringLiteral("task_ms")));
        const std::int64_t timeoutNs = ctx.value(QStringLiteral("timeout_ms")) * 1'000'000;
        const std::vector<Fate> fates = drawFates(ctx, tasks);

        std::vector<TaskState> state(static_cast<std::size_t>(tasks));
        std::vector<Outcome> outcomes(static_cast<std::size_t>(tasks));
        std::atomic<int> next { 0 };
        std::atomic<int> doneCount { 0 };
        const auto done = ctx.addCounter(QStringLiteral("tasks done"), [&] { return std::int64_t(doneCount.load()); });
        const std::int64_t runStart = clock::monotonicNs();
        std::atomic<bool> finished { false };
        std::jthread supervisor([&] { superviseDeadlines(state, timeoutNs, finished); });

        const auto workers = addWorkers(ctx, workerCount, QStringLiteral("Worker"));
        runWorkers(ctx, Backend::ThreadPool, workers, [&](std::uint32_t worker, Recorder& rec) {
            for (int i = next.fetch_add(1); i < tasks && !ctx.stopRequested(); i = next.fetch_add(1)) {
                Outcome& out = outcomes[std::size_t(i)];
                out.worker = int(worker - workers.front());
                runTask(ctx, i, fates[std::size_t(i)], taskTime, timeoutNs, state[std::size_t(i)], out, rec);
                doneCount.fetch_add(1);
            }
        });
        finished = true;
        publishLog(ctx, fates, outcomes, runStart);
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const QJsonObject r = summary[u"results"].toObject();
        QString text = QStringLiteral("Of %1 tasks, <b>%2 completed, %3 failed and %4 timed out</b>")
                           .arg(r[u"tasks"].toInt())
                           .arg(r[u"succeeded"].toInt())
                           .arg(r[u"failed"].toInt())
                           .arg(r[u"timed_out"].toInt());
        if (const int notRun = r[u"not_run"].toInt(); notRun > 0)
            text += QStringLiteral(" (%1 never ran: the run was stopped)").arg(notRun);
        text += QStringLiteral(". Each failure was caught and logged instead of killing its worker");
        const int hung = r[u"drawn_to_hang"].toInt();
        int healthyCutOff = 0;
        int hungCancelled = 0;
        for (const auto& line : r[u"log"].toArray()) {
            const bool timedOut = line[u"outcome"].toString() == u"timed out";
            healthyCutOff += timedOut && line[u"drawn"].toString() != u"hang";
            hungCancelled += timedOut && line[u"drawn"].toString() == u"hang";
        }
        if (hung > 0)
            text += QStringLiteral(
                ", and %1 of the %2 hung task(s) were cancelled at their deadline, so the pool went on "
                "with the rest. Without a timeout, every hung task would hold a worker for ever.")
                        .arg(hungCancelled)
                        .arg(hung);
        else
            text
                += QStringLiteral(". No task hung in this draw (raise hang_rate or change the seed to see a timeout).");
        if (healthyCutOff > 0)
            text += QStringLiteral(" <b>%1 task(s) that were not hung timed out</b>: their deadline was shorter than "
                                   "their own work.")
                        .arg(healthyCutOff);
        return text;
    }
};
}

std::unique_ptr<Scenario> makeFailingTasks()
{
    return std::make_unique<FailingTasks>();
}

} // namespace tl
