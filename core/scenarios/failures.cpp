#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

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

struct Params {
    int tasks = 0;
    int workers = 0;
    std::int64_t failureRate = 0; // %
    std::int64_t hangRate = 0; // %
    std::chrono::milliseconds taskTime {};
    std::int64_t timeoutMs = 0;
    std::uint32_t seed = 0;
};
const ParamTable<Params> kParams {
    param(&Params::tasks,
        ParamSpec::integer(QStringLiteral("tasks"), 20, 1, 1000, QStringLiteral("Tasks submitted to the pool"))),
    param(&Params::workers,
        ParamSpec::integer(QStringLiteral("workers"), 4, 1, 32, QStringLiteral("Threads in the pool"))),
    param(&Params::failureRate,
        ParamSpec::integer(QStringLiteral("failure_rate"), 20, 0, 100,
            QStringLiteral("Share of the tasks that raise an error partway"), QStringLiteral("%"))),
    param(&Params::hangRate,
        ParamSpec::integer(QStringLiteral("hang_rate"), 15, 0, 100,
            QStringLiteral("Share of the tasks that hang (wait for an answer that never comes)"), QStringLiteral("%"))),
    param(&Params::taskTime,
        ParamSpec::integer(QStringLiteral("task_ms"), 50, 0, 10'000, QStringLiteral("How long a task computes"),
            QStringLiteral("ms"))),
    param(&Params::timeoutMs,
        ParamSpec::integer(QStringLiteral("timeout_ms"), 200, 1, 60'000,
            QStringLiteral("Each task's deadline, from its start: past it, it is cancelled and logged as timed "
                           "out. A computing task is timed on its own CPU time, so a busy machine does not cut off "
                           "healthy tasks; a waiting (hung) task on its time minus any time queued for a CPU"),
            QStringLiteral("ms"))),
    param(&Params::seed,
        ParamSpec::integer(QStringLiteral("seed"), 42, 0, 2'000'000'000,
            QStringLiteral("Which tasks fail or hang: the same seed gives the same ones"))),
};

// A line of `log`: one task's outcome, in the order they ended.
struct LogLine {
    QString log; // the seed's logging line
    int task = 0;
    int worker = 0;
    QString drawn; // kFateNames
    QString outcome;
    double ranMs = 0;
    double timeMs = 0;
    qint64 fromNs = 0;
    qint64 toNs = 0;
};
const ResultTable<LogLine> kLogLine {
    result(&LogLine::log, QStringLiteral("log")),
    result(&LogLine::task, QStringLiteral("task")),
    result(&LogLine::worker, QStringLiteral("worker")),
    result(&LogLine::drawn, QStringLiteral("drawn")),
    result(&LogLine::outcome, QStringLiteral("outcome")),
    result(&LogLine::ranMs, QStringLiteral("ran_ms")),
    result(&LogLine::timeMs, QStringLiteral("time_ms")),
    result(&LogLine::fromNs, QStringLiteral("from_ns")),
    result(&LogLine::toNs, QStringLiteral("to_ns")),
};

struct Results {
    int tasks = 0;
    int succeeded = 0;
    int failed = 0;
    int timedOut = 0;
    int drawnToHang = 0;
    int notRun = 0;
    QJsonArray log; // of LogLine
};
const ResultTable<Results> kResults {
    result(&Results::tasks, QStringLiteral("tasks")),
    result(&Results::succeeded, QStringLiteral("succeeded")),
    result(&Results::failed, QStringLiteral("failed")),
    result(&Results::timedOut, QStringLiteral("timed_out")),
    result(&Results::drawnToHang, QStringLiteral("drawn_to_hang")),
    result(&Results::notRun, QStringLiteral("not_run")),
    result(&Results::log, QStringLiteral("log")),
};

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
std::vector<Fate> drawFates(const Params& p)
{
    std::mt19937 random(p.seed);
    std::uniform_int_distribution<int> percent(0, 99);
    std::vector<Fate> fates;
    for (int i = 0; i < p.tasks; ++i) {
        const int roll = percent(random);
        fates.push_back(roll < p.failureRate        ? Fate::Fail
                : roll < p.failureRate + p.hangRate ? Fate::Hang
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
Results publishLog(const std::vector<Fate>& fates, const std::vector<Outcome>& outcomes, std::int64_t runStart)
{
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < outcomes.size(); ++i)
        if (outcomes[i].endedNs > 0)
            order.push_back(i);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return outcomes[a].endedNs < outcomes[b].endedNs; });
    Results r;
    for (const std::size_t i : order) {
        const Outcome& o = outcomes[i];
        r.succeeded += o.kind == u"completed";
        r.failed += o.kind == u"failed";
        r.timedOut += o.kind == u"timed out";
        const QString line = o.kind == u"completed" ? QStringLiteral("Task completed: %1").arg(o.message)
            : o.kind == u"failed"                   ? QStringLiteral("Task failed: %1").arg(o.message)
                                                    : QStringLiteral("Task %1: %2").arg(o.kind, o.message);
        r.log.append(kLogLine.toObject({
            .log = line,
            .task = int(i),
            .worker = o.worker + 1,
            .drawn = QLatin1String(kFateNames[int(fates[i])]),
            .outcome = o.kind,
            .ranMs = double(o.endedNs - o.startedNs) / 1e6,
            .timeMs = double(o.endedNs - runStart) / 1e6,
            .fromNs = o.startedNs,
            .toNs = o.endedNs,
        }));
    }
    r.tasks = int(fates.size());
    r.drawnToHang = int(std::count(fates.begin(), fates.end(), Fate::Hang));
    r.notRun = r.tasks - int(order.size());
    return r;
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
            .summary
            = QStringLiteral("A pool runs tasks that succeed, raise an error or hang; timeouts end the hung ones"),
            .topic = QStringLiteral("Best practices: always set timeouts, handle exceptions, log task results"),
            .params = kParams.specs(),
            .results = kResults.keys() + kLogLine.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const int tasks = p.tasks;
        const int workerCount = p.workers;
        const auto taskTime = p.taskTime;
        const std::int64_t timeoutNs = p.timeoutMs * 1'000'000;
        const std::vector<Fate> fates = drawFates(p);

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
        kResults.report(ctx, publishLog(fates, outcomes, runStart));
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        QString text = QStringLiteral("Of %1 tasks, <b>%2 completed, %3 failed and %4 timed out</b>")
                           .arg(r.tasks)
                           .arg(r.succeeded)
                           .arg(r.failed)
                           .arg(r.timedOut);
        if (r.notRun > 0)
            text += QStringLiteral(" (%1 never ran: the run was stopped)").arg(r.notRun);
        text += QStringLiteral(". Each failure was caught and logged instead of killing its worker");
        const int hung = r.drawnToHang;
        int healthyCutOff = 0;
        int hungCancelled = 0;
        const QLatin1String hang(kFateNames[int(Fate::Hang)]);
        for (const auto& l : r.log) {
            const LogLine line = kLogLine.fromObject(l.toObject());
            const bool timedOut = line.outcome == u"timed out";
            healthyCutOff += timedOut && line.drawn != hang;
            hungCancelled += timedOut && line.drawn == hang;
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
