#include "resulttable.h"
#include "scenario.h"

#include "../params/format.h"
#include "../params/paramtable.h"

#include "../run/workers.h"

#include <QJsonArray>
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

namespace tl {

namespace {
enum class Fate { Succeed, Fail, Hang };
const char* const kFateNames[] = { "succeed", "fail", "hang" };
// What the caller does with a future whose result(timeout) ran out: what Python can (cancel(), which only
// takes a task that has not started), or what a C++ pool with cooperative cancellation can (end a running
// task at its next check).
enum OnTimeout : int { Python, EndTask };
constexpr auto kPollEvery = std::chrono::milliseconds(5); // every wait wakes this often to see a Stop
constexpr auto kWorkSlice = std::chrono::milliseconds(1);

struct Params {
    int tasks = 0;
    int workers = 0;
    std::int64_t failureRate = 0; // %
    std::int64_t hangRate = 0; // %
    std::chrono::milliseconds taskTime {};
    std::chrono::milliseconds timeout {};
    OnTimeout onTimeout = Python;
    std::chrono::milliseconds grace {};
    std::uint32_t seed = 0;
};
const ParamTable<Params> kParams {
    param(&Params::tasks,
        ParamSpec::integer(QStringLiteral("tasks"), 20, 1, 1000, QStringLiteral("Tasks submitted to the pool"))),
    param(&Params::workers,
        ParamSpec::integer(QStringLiteral("workers"), 4, 1, 32, QStringLiteral("Threads in the pool (max_workers)"))),
    param(&Params::failureRate,
        ParamSpec::integer(QStringLiteral("failure_rate"), 20, 0, 100,
            QStringLiteral("Share of the tasks that raise an error partway"), QStringLiteral("%"))),
    param(&Params::hangRate,
        ParamSpec::integer(QStringLiteral("hang_rate"), 15, 0, 100,
            QStringLiteral("Share of the tasks that hang (wait for an answer that never comes)"), QStringLiteral("%"))),
    param(&Params::taskTime,
        ParamSpec::integer(QStringLiteral("task_ms"), 50, 0, 10'000, QStringLiteral("How long a task computes"),
            QStringLiteral("ms"))),
    param(&Params::timeout,
        ParamSpec::integer(QStringLiteral("timeout_ms"), 200, 1, 60'000,
            QStringLiteral("future.result(timeout=…): how long the caller waits for each future, from its call "
                           "(wall time). Past it the caller gets TimeoutError and calls cancel()"),
            QStringLiteral("ms"))),
    param(&Params::onTimeout,
        ParamSpec::choice(QStringLiteral("on_timeout"), { QStringLiteral("python"), QStringLiteral("end-task") },
            Python,
            QStringLiteral("python: cancel() as concurrent.futures does it, taking only a task not yet started; a "
                           "running one runs on. end-task: a C++ pool with cooperative cancellation, which also "
                           "ends a running task at its next check"))),
    param(&Params::grace,
        ParamSpec::integer(QStringLiteral("grace_ms"), 1000, 0, 60'000,
            QStringLiteral("Leaving the pool waits for its running tasks (shutdown(wait=True)); past this grace "
                           "period ThreadLab ends the ones still running, where CPython would wait on"),
            QStringLiteral("ms"))),
    param(&Params::seed,
        ParamSpec::integer(QStringLiteral("seed"), 42, 0, 2'000'000'000,
            QStringLiteral("Which tasks fail or hang: the same seed gives the same ones"))),
};

// A line of `log`: one future, in the caller's order (the seed's `for future in futures`).
struct LogLine {
    QString log; // the seed's logging line
    int task = 0;
    int worker = 0; // 0: the task never ran
    QString drawn; // kFateNames
    QString outcome; // what result() gave the caller: "completed", "failed", "timed out"
    QString taskEnd; // how the task itself ended (see Ending)
    std::optional<bool> cancelReturned; // what cancel() said, after a timeout
    double waitedMs = 0; // the caller's wait in result()
    double ranMs = 0; // the task's whole run
    std::optional<double> ranAtTimeoutMs; // how long the task had run when the caller stopped waiting
    std::optional<double> ranOnMs; // how long it ran on after that
    double timeMs = 0; // when the caller logged the line (its wait ended), from the start of the run
    qint64 fromNs = 0; // the task's run (the caller's wait, for a task that never ran)
    qint64 toNs = 0;
};
const ResultTable<LogLine> kLogLine {
    result(&LogLine::log, QStringLiteral("log")),
    result(&LogLine::task, QStringLiteral("task")),
    result(&LogLine::worker, QStringLiteral("worker")),
    result(&LogLine::drawn, QStringLiteral("drawn")),
    result(&LogLine::outcome, QStringLiteral("outcome")),
    result(&LogLine::taskEnd, QStringLiteral("task_end")),
    result(&LogLine::cancelReturned, QStringLiteral("cancel_returned")),
    result(&LogLine::waitedMs, QStringLiteral("waited_ms")),
    result(&LogLine::ranMs, QStringLiteral("ran_ms")),
    result(&LogLine::ranAtTimeoutMs, QStringLiteral("ran_at_timeout_ms")),
    result(&LogLine::ranOnMs, QStringLiteral("ran_on_ms")),
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
    int notRun = 0; // the caller got no answer for them: the run was stopped
    int cancelled = 0; // cancel() returned True: still queued, never ran
    int ranOn = 0; // cancel() returned False: the task ran on after the caller's timeout
    int endedAtTimeout = 0; // on_timeout=end-task: a running task ended on request
    double shutdownWaitMs = 0; // the caller in shutdown(wait=True), leaving the pool
    bool graceOver = false; // tasks were still running when grace_ms ran out
    int hungAtExit = 0; // of them, hung ones: CPython would wait for them for ever
    int runningAtExit = 0; // of them, others (still computing)
    QJsonArray log; // of LogLine
};
const ResultTable<Results> kResults {
    result(&Results::tasks, QStringLiteral("tasks")),
    result(&Results::succeeded, QStringLiteral("succeeded")),
    result(&Results::failed, QStringLiteral("failed")),
    result(&Results::timedOut, QStringLiteral("timed_out")),
    result(&Results::drawnToHang, QStringLiteral("drawn_to_hang")),
    result(&Results::notRun, QStringLiteral("not_run")),
    result(&Results::cancelled, QStringLiteral("cancelled")),
    result(&Results::ranOn, QStringLiteral("ran_on")),
    result(&Results::endedAtTimeout, QStringLiteral("ended_at_timeout")),
    result(&Results::shutdownWaitMs, QStringLiteral("shutdown_wait_ms")),
    result(&Results::graceOver, QStringLiteral("grace_over")),
    result(&Results::hungAtExit, QStringLiteral("hung_at_exit")),
    result(&Results::runningAtExit, QStringLiteral("running_at_exit")),
    result(&Results::log, QStringLiteral("log")),
};

// Who asked a running task to end, cooperatively: the caller after its timeout (on_timeout=end-task), or
// ThreadLab when the grace period ran out.
enum class EndRequest { None, Timeout, Grace };

// One submitted task and its future. `state` and `endRequest` are guarded by Pool::mutex; the task's run is
// written by its worker, the caller's fields by the caller, and both read once the pool's threads are joined.
struct Future {
    enum class State { Pending, Running, Finished, Cancelled }; // as concurrent.futures names them
    State state = State::Pending;
    EndRequest endRequest = EndRequest::None;
    std::atomic<bool> ending { false }; // endRequest != None, for the task's checks
    Fate fate = Fate::Succeed;
    // The task's run.
    QString outcome; // "completed", "failed", "ended", "stopped"
    QString message;
    int worker = -1;
    std::int64_t startedNs = 0;
    std::int64_t endedNs = 0;
    // The caller's result(timeout).
    bool asked = false;
    bool timedOut = false;
    std::optional<bool> cancelReturned;
    std::int64_t waitFromNs = 0;
    std::int64_t waitToNs = 0;
};

// A ThreadPoolExecutor's shared state: the work queue, the futures, and the shutdown flag.
struct Pool {
    std::mutex mutex;
    std::condition_variable changed; // a task was queued, started or ended, or the pool shuts down
    std::deque<int> queue;
    bool shutdown = false;
    std::vector<Future> futures;

    explicit Pool(std::size_t tasks)
        : futures(tasks)
    {
    }
    // Every future resolved: nothing left for shutdown(wait=True) to wait for. Under `mutex`.
    bool settled() const
    {
        return std::all_of(futures.begin(), futures.end(),
            [](const Future& f) { return f.state == Future::State::Finished || f.state == Future::State::Cancelled; });
    }
    // Asks a running task to end; it does at its next check. Under `mutex`.
    void requestEnd(Future& f, EndRequest by)
    {
        f.endRequest = by;
        f.ending = true;
        changed.notify_all();
    }
};

struct Ended { };

// Works for `duration` in slices, ending early (by throwing Ended) once the task is asked to end.
void work(const RunContext& ctx, const Future& f, std::chrono::nanoseconds duration)
{
    for (auto left = duration; left > std::chrono::nanoseconds::zero(); left -= kWorkSlice) {
        if (f.ending || ctx.stopRequested())
            throw Ended {};
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

// Task `i` on the calling worker, to its fate or until it is asked to end; fills the future's outcome.
void runTask(const RunContext& ctx, Pool& pool, int i, std::chrono::milliseconds taskTime, Recorder& rec)
{
    Future& f = pool.futures[std::size_t(i)];
    try {
        switch (f.fate) {
        case Fate::Succeed:
            work(ctx, f, taskTime);
            f.outcome = QStringLiteral("completed");
            f.message = QStringLiteral("result %1").arg(i * i);
            return;
        case Fate::Fail:
            work(ctx, f, taskTime / 2);
            throw std::runtime_error("invalid input in task " + std::to_string(i));
        case Fate::Hang: {
            // Waits for an answer that never comes: nothing in the task ends the wait, only a request to end
            // it (which Python has no way to make) or Stop.
            rec.record(EventKind::IoWait);
            {
                std::unique_lock lock(pool.mutex);
                while (!f.ending && !ctx.stopRequested())
                    pool.changed.wait_for(lock, kPollEvery);
            }
            rec.record(EventKind::Running);
            throw Ended {};
        }
        }
    } catch (const std::exception& e) {
        f.outcome = QStringLiteral("failed");
        f.message = QString::fromStdString(e.what());
    } catch (const Ended&) {
        f.outcome = f.ending ? QStringLiteral("ended") : QStringLiteral("stopped");
    }
}

// A pool thread, like concurrent.futures' _worker: takes queued tasks in order, skips cancelled ones, idles
// while the queue is empty, and leaves once the pool shuts down with nothing queued.
void serve(const RunContext& ctx, Pool& pool, int worker, std::chrono::milliseconds taskTime, Recorder& rec,
    std::atomic<int>& done)
{
    for (;;) {
        std::unique_lock lock(pool.mutex);
        if (pool.queue.empty() && !pool.shutdown && !ctx.stopRequested()) {
            lock.unlock();
            rec.record(EventKind::Sleeping); // idle in the work queue's get()
            lock.lock();
            while (pool.queue.empty() && !pool.shutdown && !ctx.stopRequested())
                pool.changed.wait_for(lock, kPollEvery);
        }
        if (pool.queue.empty() || ctx.stopRequested())
            return;
        const int i = pool.queue.front();
        pool.queue.pop_front();
        Future& f = pool.futures[std::size_t(i)];
        if (f.state == Future::State::Cancelled)
            continue;
        f.state = Future::State::Running;
        f.worker = worker;
        f.startedNs = clock::monotonicNs();
        lock.unlock();
        rec.record(EventKind::Mark, i);
        rec.record(EventKind::Running);
        runTask(ctx, pool, i, taskTime, rec);
        lock.lock();
        f.endedNs = clock::monotonicNs();
        f.state = Future::State::Finished;
        pool.changed.notify_all();
        done.fetch_add(1);
    }
}

// The caller's `future.result(timeout)`: waits for the future until the timeout (or Stop), and on a timeout
// calls cancel(), which takes a task only while it is still queued; with on_timeout=end-task it also asks a
// running one to end.
void awaitResult(const RunContext& ctx, Pool& pool, Future& f, const Params& p)
{
    std::unique_lock lock(pool.mutex);
    f.asked = true;
    f.waitFromNs = clock::monotonicNs();
    const auto deadline = std::chrono::steady_clock::now() + p.timeout;
    while (f.state != Future::State::Finished && !ctx.stopRequested() && std::chrono::steady_clock::now() < deadline)
        pool.changed.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + kPollEvery));
    f.waitToNs = clock::monotonicNs();
    if (f.state == Future::State::Finished || ctx.stopRequested())
        return;
    f.timedOut = true;
    if (f.state == Future::State::Pending) {
        f.state = Future::State::Cancelled;
        f.cancelReturned = true;
        pool.changed.notify_all();
    } else if (p.onTimeout == EndTask) {
        pool.requestEnd(f, EndRequest::Timeout);
        f.cancelReturned = true;
    } else {
        f.cancelReturned = false; // RUNNING: concurrent.futures cannot cancel it
    }
}

// What shutdown(wait=True) met when its grace period ran out.
struct AtExit {
    bool graceOver = false;
    int hung = 0;
    int running = 0;
};

// Leaving the with block: shutdown(wait=True) lets the workers finish the queue and waits for every running
// task. After `grace` ThreadLab asks the tasks still running to end, and drops the queued ones, where CPython
// would wait on. Returns what was still running then.
AtExit shutDown(const RunContext& ctx, Pool& pool, std::chrono::milliseconds grace)
{
    AtExit at;
    std::unique_lock lock(pool.mutex);
    pool.shutdown = true;
    pool.changed.notify_all();
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (!pool.settled() && !ctx.stopRequested() && std::chrono::steady_clock::now() < deadline)
        pool.changed.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + kPollEvery));
    if (pool.settled() || ctx.stopRequested())
        return at;
    at.graceOver = true;
    for (auto& f : pool.futures) {
        if (f.state == Future::State::Running) {
            pool.requestEnd(f, EndRequest::Grace);
            ++(f.fate == Fate::Hang ? at.hung : at.running);
        } else if (f.state == Future::State::Pending) {
            f.state = Future::State::Cancelled;
        }
    }
    return at;
}

QString ms(std::int64_t ns)
{
    return formatDuration(double(ns));
}

// How the task itself ended: "completed", "failed", "ended at timeout" (on_timeout=end-task), "ended after
// grace" (by ThreadLab), "stopped", or, never begun, "cancelled" (cancel() took it) or "not run".
QString ending(const Future& f)
{
    if (f.startedNs == 0)
        return f.cancelReturned.value_or(false) ? QStringLiteral("cancelled") : QStringLiteral("not run");
    if (f.outcome == u"ended")
        return f.endRequest == EndRequest::Timeout ? QStringLiteral("ended at timeout")
                                                   : QStringLiteral("ended after grace");
    return f.outcome;
}

// How a task ran after its caller's timeout, in the run's own figures.
QString afterTimeout(const Future& f)
{
    if (f.startedNs == 0) // cancel() found it still queued
        return QStringLiteral("the task had not started, and cancel() returned True: it never ran");
    const QString end = ending(f);
    const QString how = end == u"ended at timeout" ? QStringLiteral("until it ended at its next check")
        : end == u"ended after grace"              ? QStringLiteral("until ThreadLab ended it after the grace period")
        : end == u"stopped"                        ? QStringLiteral("until the run was stopped")
                                                   : QStringLiteral("and %1").arg(end);
    return QStringLiteral("the task had run %1 by then; %2, and it ran on for %3 %4")
        .arg(ms(f.waitToNs - f.startedNs),
            f.cancelReturned.value_or(false) ? QStringLiteral("the pool asked it to end")
                                             : QStringLiteral("cancel() returned False"),
            ms(f.endedNs - f.waitToNs), how);
}

// The seed's logging pattern, one line per future in the caller's order, and the tally.
Results publishLog(const Pool& pool, std::int64_t runStart)
{
    Results r;
    for (std::size_t i = 0; i < pool.futures.size(); ++i) {
        const Future& f = pool.futures[i];
        if (!f.asked)
            continue;
        LogLine line;
        line.task = int(i);
        line.worker = f.worker + 1;
        line.drawn = QLatin1String(kFateNames[int(f.fate)]);
        line.taskEnd = ending(f);
        line.cancelReturned = f.cancelReturned;
        line.waitedMs = double(f.waitToNs - f.waitFromNs) / 1e6;
        line.timeMs = double(f.waitToNs - runStart) / 1e6;
        const bool ran = f.startedNs > 0;
        line.fromNs = ran ? f.startedNs : f.waitFromNs;
        line.toNs = ran ? f.endedNs : f.waitToNs;
        line.ranMs = ran ? double(f.endedNs - f.startedNs) / 1e6 : 0;
        if (f.timedOut) {
            ++r.timedOut;
            line.outcome = QStringLiteral("timed out");
            line.log = QStringLiteral("Task timed out: the caller stopped waiting after %1; %2")
                           .arg(ms(f.waitToNs - f.waitFromNs), afterTimeout(f));
            r.cancelled += !ran && f.cancelReturned.value_or(false);
            r.ranOn += ran && f.cancelReturned == false;
            r.endedAtTimeout += line.taskEnd == u"ended at timeout";
            if (ran && f.startedNs < f.waitToNs) {
                line.ranAtTimeoutMs = double(f.waitToNs - f.startedNs) / 1e6;
                line.ranOnMs = double(f.endedNs - f.waitToNs) / 1e6;
            }
        } else {
            line.outcome = ran ? f.outcome : QStringLiteral("not run"); // the run was stopped first
            r.succeeded += f.outcome == u"completed";
            r.failed += f.outcome == u"failed";
            line.log = f.outcome == u"completed" ? QStringLiteral("Task completed: %1").arg(f.message)
                : f.outcome == u"failed"         ? QStringLiteral("Task failed: %1").arg(f.message)
                                                 : QStringLiteral("Task %1: the run was stopped").arg(line.outcome);
        }
        r.log.append(kLogLine.toObject(line));
    }
    r.tasks = int(pool.futures.size());
    r.drawnToHang = int(
        std::count_if(pool.futures.begin(), pool.futures.end(), [](const Future& f) { return f.fate == Fate::Hang; }));
    r.notRun = r.tasks - r.succeeded - r.failed - r.timedOut;
    return r;
}

// The seed's best practices, failing on purpose, as concurrent.futures runs them:
//     with ThreadPoolExecutor(max_workers) as executor:
//         futures = [executor.submit(task, i) for i in range(tasks)]
//         for future in futures:
//             try: logger.info(f"Task completed: {future.result(timeout=...)}")
//             except TimeoutError: future.cancel(); logger.error("Task timed out")
//             except Exception as e: logger.error(f"Task failed: {e}")
// The timeout stops only the caller's wait; leaving the with block waits for whatever still runs.
class FailingTasks final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("failures"),
            .title = QStringLiteral("Timeouts and failing tasks"),
            .summary = QStringLiteral(
                "A pool runs tasks that succeed, raise an error or hang; result(timeout) stops only the caller's wait"),
            .topic = QStringLiteral("Best practices: always set timeouts, handle exceptions, log task results"),
            .params = kParams.specs(),
            .results = kResults.keys() + kLogLine.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        Pool pool(std::size_t(p.tasks));
        const std::vector<Fate> fates = drawFates(p);
        for (std::size_t i = 0; i < fates.size(); ++i)
            pool.futures[i].fate = fates[i];
        std::atomic<int> doneCount { 0 };
        const auto done = ctx.addCounter(QStringLiteral("tasks done"), [&] { return std::int64_t(doneCount.load()); });
        const std::uint32_t mainLane = ctx.addWorker(QStringLiteral("MainThread"));
        const auto lanes = addWorkers(ctx, p.workers, QStringLiteral("Worker"));
        const std::uint16_t resultLock = ctx.addExternalLock(QStringLiteral("future.result(timeout)"));
        const std::uint16_t shutdownLock = ctx.addExternalLock(QStringLiteral("shutdown(wait=True)"));
        const std::int64_t runStart = clock::monotonicNs();

        AtExit atExit;
        std::int64_t shutdownNs = 0;
        std::vector<std::jthread> threads; // after `pool`: joined before it goes
        const auto startThread = [&] {
            const int w = int(threads.size());
            threads.emplace_back([&, w] {
                runOnOwnThread(ctx, lanes[std::size_t(w)],
                    [&](std::uint32_t, Recorder& rec) { serve(ctx, pool, w, p.taskTime, rec, doneCount); });
            });
        };
        runAsWorker(ctx, mainLane, [&](std::uint32_t, Recorder& rec) {
            try {
                ctx.beginPhase(QStringLiteral("with ThreadPoolExecutor(): submit, then result(timeout) on each"));
                for (int i = 0; i < p.tasks; ++i) {
                    {
                        const std::lock_guard lock(pool.mutex);
                        pool.queue.push_back(i);
                        pool.changed.notify_all();
                    }
                    if (int(threads.size()) < p.workers) // like CPython, a thread per submit up to max_workers
                        startThread();
                }
                for (int i = 0; i < p.tasks && !ctx.stopRequested(); ++i) {
                    rec.record(EventKind::Mark, i);
                    rec.record(EventKind::LockWait, 0, resultLock);
                    awaitResult(ctx, pool, pool.futures[std::size_t(i)], p);
                    rec.record(EventKind::Running);
                }
                ctx.beginPhase(QStringLiteral("leaving the with block: shutdown(wait=True) waits for running tasks"));
                rec.record(EventKind::LockWait, 0, shutdownLock);
                const std::int64_t shutdownFrom = clock::monotonicNs();
                atExit = shutDown(ctx, pool, p.grace);
                if (atExit.graceOver)
                    ctx.beginPhase(atExit.hung > 0
                            ? QStringLiteral("grace_ms over: ThreadLab ends %1 task(s), %2 hung; CPython would wait on")
                                  .arg(atExit.hung + atExit.running)
                                  .arg(atExit.hung)
                            : QStringLiteral("grace_ms over: ThreadLab ends %1 running task(s)").arg(atExit.running));
                threads.clear(); // CPython's shutdown joins the pool's threads
                shutdownNs = clock::monotonicNs() - shutdownFrom;
                rec.record(EventKind::Running);
                ctx.endPhase();
            } catch (...) {
                ctx.requestStop(); // the pool's threads give up their waits and can be joined
                throw;
            }
        });
        Results r = publishLog(pool, runStart);
        r.shutdownWaitMs = double(shutdownNs) / 1e6;
        r.graceOver = atExit.graceOver;
        r.hungAtExit = atExit.hung;
        r.runningAtExit = atExit.running;
        kResults.report(ctx, r);
    }

    QString describeOutcome(const QJsonObject& summary) const override;
};

QString FailingTasks::describeOutcome(const QJsonObject& summary) const
{
    const Results r = kResults.fromSummary(summary);
    const Params p = kParams.fromSummary(summary);
    QString text = QStringLiteral("Of %1 task(s), the caller's result() <b>returned for %2, raised the task's error "
                                  "for %3 and timed out on %4</b>")
                       .arg(r.tasks)
                       .arg(r.succeeded)
                       .arg(r.failed)
                       .arg(r.timedOut);
    if (r.notRun > 0)
        text += QStringLiteral(" (%1 without an answer: the run was stopped)").arg(r.notRun);
    text += QStringLiteral(". Each was caught and logged.");
    double longestRanOn = 0;
    int notHungTimedOut = 0;
    const QLatin1String hang(kFateNames[int(Fate::Hang)]);
    for (const auto& l : r.log) {
        const LogLine line = kLogLine.fromObject(l.toObject());
        if (line.outcome != u"timed out")
            continue;
        notHungTimedOut += line.drawn != hang;
        if (line.cancelReturned == false)
            longestRanOn = std::max(longestRanOn, line.ranOnMs.value_or(0));
    }
    if (r.ranOn > 0)
        text
            += QStringLiteral(" <b>A timeout stops only the caller's wait:</b> cancel() returned False on the %1 "
                              "task(s) already running, and they ran on (the longest for %2 after the caller gave up).")
                   .arg(r.ranOn)
                   .arg(ms(std::int64_t(longestRanOn * 1e6)));
    if (r.cancelled > 0)
        text += QStringLiteral(" cancel() returned True on the %1 task(s) still queued: they never ran.")
                    .arg(r.cancelled);
    if (r.endedAtTimeout > 0)
        text += QStringLiteral(" With on_timeout=end-task the pool asked %1 running task(s) to end at the caller's "
                               "timeout, and they did: concurrent.futures cannot, its cancel() returns False on a "
                               "running task.")
                    .arg(r.endedAtTimeout);
    if (notHungTimedOut > 0)
        text += QStringLiteral(" %1 task(s) that were not hung timed out: the timeout counts the caller's wall time "
                               "from its result() call, queueing and time without a CPU included.")
                    .arg(notHungTimedOut);
    text += QStringLiteral(" Leaving the with block (shutdown(wait=True)) waited %1 for the pool's tasks")
                .arg(ms(std::int64_t(r.shutdownWaitMs * 1e6)));
    if (!r.graceOver) {
        text += QStringLiteral(".");
    } else {
        text += QStringLiteral(": after grace_ms = %1 ms ThreadLab ended the %2 still running")
                    .arg(p.grace.count())
                    .arg(r.hungAtExit + r.runningAtExit);
        text += r.hungAtExit > 0
            ? QStringLiteral(". <b>CPython would still be waiting</b>: %1 of them hung, and a hung task never returns, "
                             "so the with block would never be left.")
                  .arg(r.hungAtExit)
            : QStringLiteral(". CPython would have waited for them to finish.");
    }
    if (r.drawnToHang == 0)
        text += QStringLiteral(" No task hung in this draw (raise hang_rate or change the seed to see a timeout).");
    return text;
}
}

std::unique_ptr<Scenario> makeFailingTasks()
{
    return std::make_unique<FailingTasks>();
}

} // namespace tl
