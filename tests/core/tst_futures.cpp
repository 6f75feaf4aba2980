// The failures scenario behaves like concurrent.futures: result(timeout) stops only the caller's wait, the task
// runs on, cancel() takes only what has not started, and leaving the pool waits for what runs. The oracle is
// the trace (the lanes as drawn) and the task's own marks, not the scenario's account of them.
#include "../support/runscenario.h"

#include <scenarios/scenario.h>
#include <trace/spans.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>
#include <optional>

using namespace tl;

class TestFutures : public QObject {
    Q_OBJECT
private slots:
    void aHungTaskRunsOnPastItsCallersTimeout();
    void leavingThePoolWaitsForTheRunningTasks();
    void theAccountSaysWhatCPythonWouldDo();
    void cancelTakesOnlyTasksNotStarted();
    void endTaskEndsTheHungTaskAtTheTimeout();
};

namespace {
struct Stretch {
    std::int64_t start = 0;
    std::int64_t end = 0;
};

std::size_t laneNamed(const Trace& trace, const QString& name)
{
    for (std::size_t w = 0; w < trace.workers.size(); ++w)
        if (trace.workers[w].name == name)
            return w;
    qFatal("no lane %s", qPrintable(name));
}

// The span of `lock` that lane `lane` waits in first at or after `from`.
std::optional<Stretch> waitIn(
    const Trace& trace, const LaneSpans& lane, const QString& lock, std::int64_t from = INT64_MIN)
{
    for (const Span& s : lane.spans)
        if (s.state == LaneState::LockWait && s.start >= from && trace.lockNames.at(s.lock) == lock)
            return Stretch { s.start, s.end };
    return std::nullopt;
}

std::optional<std::int64_t> markOf(const LaneSpans& lane, int value)
{
    for (const LaneMark& m : lane.marks)
        if (m.kind == EventKind::Mark && m.value == value)
            return m.time;
    return std::nullopt;
}

// Where a worker lane draws task `task`: from its mark to the end of the last span before the lane's next
// mark or its next idle (Sleeping) span. Nothing when no worker began the task.
std::optional<Stretch> drawnTask(const Trace& trace, const std::vector<LaneSpans>& lanes, int task)
{
    for (std::size_t w = 0; w < lanes.size(); ++w) {
        if (!trace.workers[w].name.startsWith(u"Worker-"))
            continue;
        const auto start = markOf(lanes[w], task);
        if (!start)
            continue;
        std::int64_t next = INT64_MAX;
        for (const LaneMark& m : lanes[w].marks)
            if (m.kind == EventKind::Mark && m.time > *start)
                next = std::min(next, m.time);
        Stretch run { *start, *start };
        for (const Span& s : lanes[w].spans) {
            if (s.end <= *start)
                continue;
            if (s.start >= next || s.state == LaneState::Sleeping)
                break;
            run.end = s.end;
        }
        return run;
    }
    return std::nullopt;
}

QJsonObject taskLine(const RunOutcome& o, int task)
{
    for (const auto& l : o.results[u"log"].toArray())
        if (l[u"task"].toInt() == task)
            return l.toObject();
    return {};
}

int firstDrawn(const RunOutcome& o, const QString& fate)
{
    for (const auto& l : o.results[u"log"].toArray())
        if (l[u"drawn"].toString() == fate)
            return l[u"task"].toInt();
    return -1;
}

QString accountOf(const RunOutcome& o)
{
    return createScenario(QStringLiteral("failures"))->describeOutcome(summaryJson(o));
}

const QString kResultWait = QStringLiteral("future.result(timeout)");
const QString kShutdownWait = QStringLiteral("shutdown(wait=True)");
const QString kCPythonWaits = QStringLiteral("CPython would still be waiting");
}

// At the defaults, with a seed whose draw hangs the first task (which a worker begins at once, so however busy
// the machine it runs before its caller's 200 ms are up): the caller's result(timeout) on it ends, and the hung
// task's lane still shows the task after that. A timeout in Python does not end the task.
void TestFutures::aHungTaskRunsOnPastItsCallersTimeout()
{
    const RunOutcome o = test::runScenario(QStringLiteral("failures"), { QStringLiteral("seed=33") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    const int hung = firstDrawn(o, QStringLiteral("hang"));
    QCOMPARE(hung, 0);
    const auto lanes = buildSpans(*o.trace);
    const LaneSpans& caller = lanes[laneNamed(*o.trace, QStringLiteral("MainThread"))];
    const auto asked = markOf(caller, hung);
    QVERIFY2(asked, "the caller never asked for the hung task's result");
    const auto wait = waitIn(*o.trace, caller, kResultWait, *asked);
    QVERIFY2(wait, "the caller's wait for the hung task is not drawn");
    // Never shorter than the timeout (wait_until does not return early), whatever the machine's load.
    QVERIFY(wait->end - wait->start >= 200'000'000);
    const auto run = drawnTask(*o.trace, lanes, hung);
    QVERIFY2(run, "the hung task never started");
    QVERIFY2(run->start < wait->end, "the hung task started after its caller gave up");
    QVERIFY2(run->end > wait->end,
        qPrintable(QStringLiteral("task %1's lane ends it %2 ns before its caller's timeout")
                       .arg(hung)
                       .arg(wait->end - run->end)));
    // And still when the caller, done with every other future, begins to leave the pool: a task ended at the
    // timeout would have ended while the caller still waited for the next futures.
    const auto shutdown = waitIn(*o.trace, caller, kShutdownWait);
    QVERIFY2(shutdown, "the caller's wait in shutdown is not drawn");
    QVERIFY2(run->end > shutdown->start, "the hung task was ended before the caller left the pool");
    // The results say the same: the caller timed out, cancel() said False, and the task ran on.
    const QJsonObject line = taskLine(o, hung);
    QCOMPARE(line[u"outcome"].toString(), QStringLiteral("timed out"));
    QCOMPARE(line[u"cancel_returned"].toBool(true), false);
    QVERIFY(line[u"ran_on_ms"].toDouble() > 0);
}

// shutdown(wait=True) joins the pool's threads: the caller's wait in it ends after every task has ended on
// every worker lane, the hung one included.
void TestFutures::leavingThePoolWaitsForTheRunningTasks()
{
    const RunOutcome o = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=6"), QStringLiteral("workers=2"), QStringLiteral("task_ms=5"),
            QStringLiteral("timeout_ms=50"), QStringLiteral("grace_ms=100"), QStringLiteral("seed=3") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    const auto lanes = buildSpans(*o.trace);
    const auto shutdown = waitIn(*o.trace, lanes[laneNamed(*o.trace, QStringLiteral("MainThread"))], kShutdownWait);
    QVERIFY2(shutdown, "the caller's wait in shutdown is not drawn");
    int drawnTasks = 0;
    for (int t = 0; t < 6; ++t) {
        const auto run = drawnTask(*o.trace, lanes, t);
        if (!run)
            continue;
        ++drawnTasks;
        QVERIFY2(run->end <= shutdown->end,
            qPrintable(QStringLiteral("task %1 ends %2 ns after the caller left the pool")
                           .arg(t)
                           .arg(run->end - shutdown->end)));
    }
    QVERIFY(drawnTasks > 0);
    // With a task hung, the caller waits in shutdown until the grace period is over.
    if (o.results[u"hung_at_exit"].toInt() > 0)
        QVERIFY(shutdown->end - shutdown->start >= 100'000'000);
}

// "CPython would still be waiting" is said when a task was really still hung as the grace period ran out, and
// only then: not for a run without a hang, not when end-task ended it, not for a task merely still computing.
void TestFutures::theAccountSaysWhatCPythonWouldDo()
{
    const RunOutcome hung = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=3"), QStringLiteral("workers=1"), QStringLiteral("hang_rate=100"),
            QStringLiteral("timeout_ms=20"), QStringLiteral("grace_ms=20") });
    QCOMPARE(hung.status, RunOutcome::Status::Completed);
    // The oracle: a task drawn to hang began on a worker lane, so it was still hung when the run ended.
    QVERIFY(drawnTask(*hung.trace, buildSpans(*hung.trace), 0));
    QVERIFY2(accountOf(hung).contains(kCPythonWaits), qPrintable(accountOf(hung)));
    QVERIFY(!hung.trace->phases.empty());
    QVERIFY2(hung.trace->phases.back().label.startsWith(u"grace_ms over"), qPrintable(hung.trace->phases.back().label));

    const RunOutcome none = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=4"), QStringLiteral("hang_rate=0"), QStringLiteral("task_ms=1"),
            QStringLiteral("timeout_ms=60000") });
    QVERIFY2(!accountOf(none).contains(kCPythonWaits), qPrintable(accountOf(none)));

    const RunOutcome ended = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=2"), QStringLiteral("workers=1"), QStringLiteral("hang_rate=100"),
            QStringLiteral("timeout_ms=20"), QStringLiteral("on_timeout=end-task") });
    QVERIFY2(!accountOf(ended).contains(kCPythonWaits), qPrintable(accountOf(ended)));

    // A healthy task still computing when a zero grace runs out: CPython would wait, but not for ever.
    const RunOutcome computing = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=1"), QStringLiteral("hang_rate=0"), QStringLiteral("failure_rate=0"),
            QStringLiteral("task_ms=1000"), QStringLiteral("timeout_ms=100"), QStringLiteral("grace_ms=0") });
    QVERIFY2(!accountOf(computing).contains(kCPythonWaits), qPrintable(accountOf(computing)));
}

// cancel() after a timeout: False on a task a worker had begun (it runs on), True on one still queued (it
// never runs). Which is which comes from the worker lanes' marks, so a slow machine cannot fail the test.
void TestFutures::cancelTakesOnlyTasksNotStarted()
{
    const RunOutcome o = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=3"), QStringLiteral("workers=1"), QStringLiteral("hang_rate=100"),
            QStringLiteral("timeout_ms=500"), QStringLiteral("grace_ms=0") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    const auto lanes = buildSpans(*o.trace);
    int trues = 0;
    int falses = 0;
    for (int t = 0; t < 3; ++t) {
        const QJsonObject line = taskLine(o, t);
        QCOMPARE(line[u"outcome"].toString(), QStringLiteral("timed out"));
        QVERIFY(line[u"cancel_returned"].isBool());
        const bool started = drawnTask(*o.trace, lanes, t).has_value();
        QCOMPARE(line[u"cancel_returned"].toBool(), !started);
        QCOMPARE(
            line[u"task_end"].toString(), started ? QStringLiteral("ended after grace") : QStringLiteral("cancelled"));
        ++(started ? falses : trues);
    }
    // One worker, every task hung: the first began before the caller's 500 ms ran out; the others waited behind.
    QCOMPARE(falses, 1);
    QCOMPARE(trues, 2);
    QCOMPARE(o.results[u"cancelled"].toInt(), 2);
    QCOMPARE(o.results[u"ran_on"].toInt(), 1);
}

// on_timeout=end-task is what a C++ pool with cooperative cancellation does: the hung task ends at the
// caller's timeout, and leaving the pool needs no grace.
void TestFutures::endTaskEndsTheHungTaskAtTheTimeout()
{
    const RunOutcome o = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=1"), QStringLiteral("hang_rate=100"), QStringLiteral("timeout_ms=300"),
            QStringLiteral("on_timeout=end-task"), QStringLiteral("grace_ms=60000") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    const QJsonObject line = taskLine(o, 0);
    QCOMPARE(line[u"task_end"].toString(), QStringLiteral("ended at timeout"));
    QCOMPARE(o.results[u"grace_over"].toBool(), false);
    const auto lanes = buildSpans(*o.trace);
    const auto run = drawnTask(*o.trace, lanes, 0);
    QVERIFY(run);
    const auto wait = waitIn(*o.trace, lanes[laneNamed(*o.trace, QStringLiteral("MainThread"))], kResultWait);
    QVERIFY(wait);
    // Not before the caller's timeout (the caller's wait lasts at least that), however fast it ended after.
    QVERIFY2(run->end - wait->start >= 300'000'000, "the task ended before its caller gave up on it");
    QVERIFY2(run->end < wait->start + 60'000'000'000, "the task was left to the grace period");
}

QTEST_GUILESS_MAIN(TestFutures)
#include "tst_futures.moc"
