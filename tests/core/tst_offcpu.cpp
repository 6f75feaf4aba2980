// Time off the CPU, as the kernel's context switches tell it: lanes never claim more CPUs than there are.
#include "../support/runscenario.h"

#include <trace/contextswitches.h>
#include <trace/spans.h>

#include <QTest>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <linux/perf_event.h>
#include <map>
#include <optional>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

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

// Asks the kernel directly, as the product should, for this thread's switch records and the smallest ring the
// product accepts: the reason it refuses them to this user (EACCES, EPERM: perf_event_paranoid or a seccomp
// filter; ENOSYS: no perf events; ENOENT, EOPNOTSUPP: no such event or clock in this kernel; a ring refused
// for locked memory), or nothing when it grants them. Any other answer (EINVAL: a request the kernel cannot
// parse) is no refusal: a skip would hide a fault of ours.
std::optional<QString> kernelRefusal()
{
    perf_event_attr attr {};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
    attr.context_switch = 1;
    attr.sample_id_all = 1;
    attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
    attr.use_clockid = 1;
    attr.clockid = CLOCK_MONOTONIC;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    const int fd = int(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
    const auto refused = [](int error) {
        return error == EACCES || error == EPERM || error == ENOSYS || error == ENOENT || error == EOPNOTSUPP;
    };
    if (fd < 0) {
        const int error = errno;
        if (refused(error))
            return QStringLiteral("perf_event_open: %1").arg(QString::fromLocal8Bit(strerror(error)));
        return std::nullopt;
    }
    const std::size_t bytes = 3 * std::size_t(sysconf(_SC_PAGESIZE)); // a header and two data pages
    void* ring = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int error = errno;
    ::close(fd);
    if (ring == MAP_FAILED)
        return refused(error) ? std::optional(QStringLiteral("perf ring: %1").arg(strerror(error))) : std::nullopt;
    munmap(ring, bytes);
    return std::nullopt;
}

struct Missing {
    bool refused; // by the kernel, for this user: a skip; else a fault of ours
    QString why;
};
// Why the run has none of the kernel's switch records, if it has none.
std::optional<Missing> missingSwitchRecords(const RunOutcome& o)
{
    if (o.trace->schedulerSource == QLatin1String(kContextSwitchSource))
        return std::nullopt;
    if (const auto refusal = kernelRefusal())
        return Missing { true, QStringLiteral("the kernel refuses its switch records here: %1").arg(*refusal) };
    return Missing { false,
        QStringLiteral("the kernel grants switch records here, yet the run has none: %1").arg(o.trace->schedulerNote) };
}

int allowedCpus()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    return CPU_COUNT(&set);
}

} // namespace

void TestOffCpu::noTwoWorkersRunOnOneCpuAtOnce_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QStringList>("params");
    QTest::addColumn<QString>("childProgram"); // what the children run instead of ThreadLab, if anything
    QTest::newRow("cores") << QStringLiteral("cores") << QStringList {} << QString();
    QTest::newRow("gil") << QStringLiteral("gil") << QStringList {} << QString();
    QTest::newRow("race-counter 4 workers")
        << QStringLiteral("race-counter") << QStringList { QStringLiteral("workers=4"), QStringLiteral("lock=mutex") }
        << QString();
    // Child processes: followed by the kernel only once their PID is known, after exec. Before the kernel's
    // first record of a child, its lane must not claim the CPU the parent spawned it on (the parent runs there).
    QTest::newRow("shared-memory 4 children")
        << QStringLiteral("shared-memory") << QStringList { QStringLiteral("children=4"), QStringLiteral("add=1") }
        << QString();
    // Children that die at once, running, before they record anything (a crash, a wrong program): the kernel
    // records no last switch-out of a dying process, so each lane must end at the kernel's record of the exit,
    // not run on until the parent notices (milliseconds later, while the parent and the next child use the CPU).
    QTest::newRow("shared-memory 8 children that die at once")
        << QStringLiteral("shared-memory") << QStringList { QStringLiteral("children=8"), QStringLiteral("add=1") }
        << QStringLiteral("/bin/true");
}

void TestOffCpu::noTwoWorkersRunOnOneCpuAtOnce()
{
    QFETCH(QString, scenario);
    QFETCH(QStringList, params);
    QFETCH(QString, childProgram);
    const QByteArray childExe = qgetenv("THREADLAB_CHILD_EXE");
    if (!childProgram.isEmpty())
        qputenv("THREADLAB_CHILD_EXE", childProgram.toLocal8Bit());
    const RunOutcome o = test::runScenario(scenario, params);
    qputenv("THREADLAB_CHILD_EXE", childExe);
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    if (const auto missing = missingSwitchRecords(o)) {
        QVERIFY2(missing->refused, qPrintable(missing->why));
        QSKIP(qPrintable(missing->why));
    }
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
    if (const auto missing = missingSwitchRecords(o)) {
        QVERIFY2(missing->refused, qPrintable(missing->why));
        QSKIP(qPrintable(missing->why));
    }
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
