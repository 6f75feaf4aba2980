// Time off the CPU, as the kernel's context switches tell it: lanes never claim more CPUs than there are.
#include "../support/runscenario.h"

#include <trace/contextswitches.h>
#include <trace/spans.h>

#include <QTest>
#include <algorithm>
#include <map>
#include <sched.h>

using namespace tl;

class TestOffCpu : public QObject {
    Q_OBJECT
private slots:
    void noTwoWorkersRunOnOneCpuAtOnce_data();
    void noTwoWorkersRunOnOneCpuAtOnce();
    void moreBusyWorkersThanCpusShowTheirWaitForACpu();
    void withoutTheKernelsRecordsTheSourceSaysSo();
};

namespace {

bool claimsCpu(const Span& s)
{
    return (s.state == LaneState::Running || s.state == LaneState::LockHeld || s.state == LaneState::LockHeldContended
               || s.state == LaneState::Unprotected)
        // Where the kernel's switch records were lost (its ring full), a lane says its CPU is unknown.
        && s.inside != LaneState::NoData;
}

struct OnCpu {
    std::int64_t start, end;
    std::size_t lane;
};

// Every span in which a lane claims to run, with the CPU it claims.
std::map<int, std::vector<OnCpu>> runningByCpu(const std::vector<LaneSpans>& lanes)
{
    std::map<int, std::vector<OnCpu>> byCpu;
    for (std::size_t l = 0; l < lanes.size(); ++l)
        for (const Span& s : lanes[l].spans)
            if (claimsCpu(s))
                byCpu[s.cpu].push_back({ s.start, s.end, l });
    for (auto& [cpu, spans] : byCpu)
        std::sort(spans.begin(), spans.end(), [](const OnCpu& a, const OnCpu& b) { return a.start < b.start; });
    return byCpu;
}

int allowedCpus()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    return CPU_COUNT(&set);
}

bool kernelFollows(const RunOutcome& o)
{
    return o.trace->schedulerSource == QLatin1String(kContextSwitchSource);
}

} // namespace

void TestOffCpu::noTwoWorkersRunOnOneCpuAtOnce_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QStringList>("params");
    QTest::newRow("cores") << QStringLiteral("cores") << QStringList {};
    QTest::newRow("gil") << QStringLiteral("gil") << QStringList {};
    QTest::newRow("race-counter 4 workers")
        << QStringLiteral("race-counter") << QStringList { QStringLiteral("workers=4"), QStringLiteral("lock=mutex") };
    // Child processes: followed by the kernel only once their PID is known, after exec. Before the kernel's
    // first record of a child, its lane must not claim the CPU the parent spawned it on (the parent runs there).
    QTest::newRow("shared-memory 4 children")
        << QStringLiteral("shared-memory") << QStringList { QStringLiteral("children=4"), QStringLiteral("add=1") };
}

void TestOffCpu::noTwoWorkersRunOnOneCpuAtOnce()
{
    QFETCH(QString, scenario);
    QFETCH(QStringList, params);
    const RunOutcome o = test::runScenario(scenario, params);
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    if (!kernelFollows(o))
        QSKIP(qPrintable(QStringLiteral("the kernel gave no context switches here: %1").arg(o.trace->schedulerNote)));
    const auto lanes = buildSpans(*o.trace);
    const auto byCpu = runningByCpu(lanes);
    QVERIFY(!byCpu.empty());
    QVERIFY2(!byCpu.contains(-1), "a span claims to run on no CPU although the kernel followed the lane");
    for (const auto& [cpu, spans] : byCpu) {
        // Sorted by start: each span must begin at or after every earlier span of another lane has ended.
        std::int64_t busyUntil = INT64_MIN;
        std::size_t busyLane = 0;
        for (const OnCpu& s : spans) {
            if (s.lane != busyLane && s.start < busyUntil)
                QFAIL(qPrintable(QStringLiteral("CPU %1: %2 runs from %3 ns while %4 runs until %5 ns")
                                     .arg(cpu)
                                     .arg(o.trace->workers[s.lane].name)
                                     .arg(s.start - o.trace->startNs)
                                     .arg(o.trace->workers[busyLane].name)
                                     .arg(busyUntil - o.trace->startNs)));
            if (s.end > busyUntil) {
                busyUntil = s.end;
                busyLane = s.lane;
            }
        }
    }
}

void TestOffCpu::moreBusyWorkersThanCpusShowTheirWaitForACpu()
{
    // Twice as many busy workers as CPUs: at any moment half of them wait for a CPU, and the lanes say so.
    const int cpus = allowedCpus();
    const RunOutcome o = test::runScenario(QStringLiteral("race-counter"),
        { QStringLiteral("workers=%1").arg(2 * cpus), QStringLiteral("increments=2000000"),
            QStringLiteral("lock=atomic") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    if (!kernelFollows(o))
        QSKIP(qPrintable(QStringLiteral("the kernel gave no context switches here: %1").arg(o.trace->schedulerNote)));
    const auto lanes = buildSpans(*o.trace);
    // At no moment do more lanes claim to run than there are CPUs.
    std::vector<std::pair<std::int64_t, int>> edges;
    std::int64_t queued = 0;
    for (const auto& lane : lanes)
        for (const Span& s : lane.spans) {
            if (claimsCpu(s)) {
                edges.emplace_back(s.start, +1);
                edges.emplace_back(s.end, -1);
            } else if (s.state == LaneState::Queued) {
                queued += s.end - s.start;
            }
        }
    std::sort(edges.begin(), edges.end()); // at equal times an end (-1) comes before a start (+1)
    int running = 0;
    int most = 0;
    for (const auto& [t, delta] : edges)
        most = std::max(most, running += delta);
    QVERIFY2(most <= cpus, qPrintable(QStringLiteral("%1 lanes ran at once on %2 CPUs").arg(most).arg(cpus)));
    QVERIFY2(queued > 0, "no worker ever waited for a CPU");
}

void TestOffCpu::withoutTheKernelsRecordsTheSourceSaysSo()
{
    qputenv("THREADLAB_CONTEXT_SWITCHES", "off");
    const RunOutcome o = test::runScenario(QStringLiteral("race-counter"), { QStringLiteral("workers=2") });
    qunsetenv("THREADLAB_CONTEXT_SWITCHES");
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    QCOMPARE(o.trace->schedulerSource, QStringLiteral("none"));
    QVERIFY(o.trace->schedulerNote.contains(u"THREADLAB_CONTEXT_SWITCHES"));
    const QJsonObject summary = summaryJson(o);
    QCOMPARE(summary[u"scheduler_source"].toString(), QStringLiteral("none"));
    for (const auto& lane : o.trace->lanes)
        for (const Event& e : lane)
            QVERIFY(e.kind != EventKind::SwitchIn && e.kind != EventKind::SwitchOut);
}

QTEST_GUILESS_MAIN(TestOffCpu)
#include "tst_offcpu.moc"
