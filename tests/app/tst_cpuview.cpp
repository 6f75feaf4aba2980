#include "../support/runscenario.h"

#include <models/timelinedata.h>

#include <QTest>

using namespace tl;
using namespace tl::ui;

// View > Lanes by CPU: the run seen from the CPUs, where one core's lanes take turns and several cores'
// lanes overlap.
class TestCpuView : public QObject {
    Q_OBJECT
private slots:
    void groupsOnCpuTimeByCpu();
    void threadsHeldToOneCoreTakeTurnsOnIt();
};

namespace {
Span span(std::int64_t start, std::int64_t end, LaneState state, std::int16_t cpu)
{
    return { start, end, 0, cpu, state };
}

std::int64_t overlap(const ChunkedVector<Span>& a, const ChunkedVector<Span>& b, std::int64_t t0, std::int64_t t1)
{
    std::int64_t total = 0;
    for (const Span& x : a)
        for (const Span& y : b)
            total += std::max<std::int64_t>(0, std::min({ x.end, y.end, t1 }) - std::max({ x.start, y.start, t0 }));
    return total;
}

std::int64_t length(const ChunkedVector<Span>& spans, std::int64_t t0, std::int64_t t1)
{
    std::int64_t total = 0;
    for (const Span& s : spans)
        total += std::max<std::int64_t>(0, std::min(s.end, t1) - std::max(s.start, t0));
    return total;
}
}

void TestCpuView::groupsOnCpuTimeByCpu()
{
    TimelineData data;
    data.title = QStringLiteral("test");
    data.lanes.emplace_back(QStringLiteral("Thread-1"), QStringLiteral("ThreadLab (pid 1)"),
        std::vector<Span> { span(0, 10, LaneState::Running, 0), span(10, 20, LaneState::Queued, 0),
            span(20, 30, LaneState::LockHeld, 1), span(30, 40, LaneState::LockWait, 1) });
    data.lanes.emplace_back(QStringLiteral("MainThread"), QStringLiteral("Worker-1 (pid 2)"),
        std::vector<Span> { span(0, 5, LaneState::Sleeping, 1), span(5, 25, LaneState::Running, 1) });

    const TimelineData byCpu = data.byCpu();
    QCOMPARE(int(byCpu.lanes.size()), 3);
    QCOMPARE(byCpu.lanes[0].group, QStringLiteral("CPU 0"));
    QCOMPARE(byCpu.lanes[0].name, QStringLiteral("Thread-1"));
    QCOMPARE(int(byCpu.lanes[0].spans.size()), 1); // queued is not on a CPU
    QCOMPARE(byCpu.lanes[1].group, QStringLiteral("CPU 1"));
    QCOMPARE(byCpu.lanes[1].name, QStringLiteral("Thread-1"));
    QCOMPARE(int(byCpu.lanes[1].spans.size()), 1); // holding a lock is; waiting for one is not
    QCOMPARE(byCpu.lanes[1].spans[0].state, LaneState::LockHeld);
    QCOMPARE(byCpu.lanes[2].name, QStringLiteral("Worker-1")); // a child process's lane by its process
    QCOMPARE(byCpu.lanes[2].spans[0].start, 5);
}

void TestCpuView::threadsHeldToOneCoreTakeTurnsOnIt()
{
    const auto o = test::runScenario(QStringLiteral("cores"),
        { QStringLiteral("workers=2"), QStringLiteral("tasks=4"), QStringLiteral("number=20000") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    const TimelineData data = TimelineData::fromTrace(*o.trace);
    // The one-core batch is first: from the pool's start for as long as its wall time.
    std::int64_t t0 = INT64_MAX;
    for (const auto& lane : data.lanes)
        if (lane.name.startsWith(u"Thread-") && !lane.spans.empty())
            t0 = std::min(t0, lane.spans.front().start);
    const std::int64_t t1 = t0 + std::int64_t(o.results[u"one_core"][u"wall_ms"].toDouble() * 1e6);

    const TimelineData byCpu = data.byCpu();
    QSet<QString> cpusInOneCoreBatch;
    std::vector<ChunkedVector<Span>> threadsThere;
    for (const auto& lane : byCpu.lanes) {
        if (!lane.name.startsWith(u"Thread-") || length(lane.spans, t0, t1) == 0)
            continue;
        cpusInOneCoreBatch.insert(lane.group);
        threadsThere.push_back(lane.spans);
    }
    QCOMPARE(cpusInOneCoreBatch.size(), 1);
    QCOMPARE(int(threadsThere.size()), 2);
    // One core runs one thread at a time: the time the lanes show both on it is small (it comes from where a
    // wait for the CPU is placed within an interval), where drawing a preempted thread as running would make
    // them overlap nearly all the time.
    const std::int64_t both = overlap(threadsThere[0], threadsThere[1], t0, t1);
    const std::int64_t shorter = std::min(length(threadsThere[0], t0, t1), length(threadsThere[1], t0, t1));
    QVERIFY2(both * 2 < shorter,
        qPrintable(QStringLiteral("both on the core for %1 of %2 ms").arg(both / 1e6).arg(shorter / 1e6)));
}

QTEST_GUILESS_MAIN(TestCpuView)
#include "tst_cpuview.moc"
