#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../processes/fdio.h"
#include "../processes/procfs.h"
#include "../processes/sharedsegment.h"
#include "../processes/sharedsemaphore.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <QScopeGuard>
#include <cstdlib>
#include <fcntl.h>
#include <latch>
#include <thread>
#include <unistd.h>

namespace tl {

namespace {
// A process's descriptor that stays open until the parent has measured everyone's memory.
constexpr int kHoldFd = 3;
// Where a process reads its go-ahead: jobs start once every worker exists, so starting the later ones is
// not slowed by the earlier ones' jobs.
constexpr int kGoFd = 4;

// A process's job: burnCpu() without a RunContext (the parent stops a child by ending it).
void spin(std::chrono::milliseconds duration)
{
    const std::int64_t end = clock::monotonicNs() + std::chrono::nanoseconds(duration).count();
    while (clock::monotonicNs() < end) { }
}

// Mean time per update of `updates` calls of `update`.
template <typename F> double nsPerUpdate(std::int64_t updates, F&& update)
{
    const std::int64_t t0 = clock::monotonicNs();
    for (std::int64_t i = 0; i < updates; ++i)
        update();
    return double(clock::monotonicNs() - t0) / double(updates);
}

double mean(const std::vector<double>& values)
{
    double sum = 0;
    for (double v : values)
        sum += v;
    return values.empty() ? 0 : sum / double(values.size());
}

struct Params {
    int workers = 0;
    StartMethod start = StartMethod::Fork;
    std::chrono::milliseconds job {};
    std::int64_t updates = 0;
    bool crash = false;
};
const ParamTable<Params> kParams {
    param(&Params::workers,
        ParamSpec::integer(QStringLiteral("workers"), 4, 1, 16, QStringLiteral("Threads, and processes, to start"))),
    param(&Params::start, Children::startParam()),
    param(&Params::job,
        ParamSpec::integer(QStringLiteral("job_ms"), 20, 0, 10'000, QStringLiteral("CPU time of each worker's job"),
            QStringLiteral("ms"))),
    param(&Params::updates,
        ParamSpec::integer(QStringLiteral("updates"), 20'000, 1, 1'000'000,
            QStringLiteral("Updates each worker makes to one shared counter: a mutex for threads, a "
                           "semaphore-guarded shared-memory value for processes (the seed's Value)"))),
    param(&Params::crash,
        ParamSpec::boolean(QStringLiteral("crash"), true,
            QStringLiteral("One process crashes after its job (abort(), SIGABRT, as an uncaught C++ exception "
                           "does; in the seed's Python an uncaught exception exits with code 1): the others carry "
                           "on. (A crashing thread would end ThreadLab itself, so the thread side only tells it.)"))),
};

// One side's figures (`threads`, `processes`): means over its workers.
struct Side {
    double startUs = 0;
    double memoryKb = 0; // RSS: a thread's stack, a process's whole
    std::optional<double> pssKb; // processes: their share of the memory they have in common
    double updateNs = 0;
    qint64 counter = 0;
    qint64 expected = 0;
    std::optional<int> finished; // processes
    std::optional<int> crashed; // processes
};
const ResultTable<Side> kSide {
    result(&Side::startUs, QStringLiteral("start_us")),
    result(&Side::memoryKb, QStringLiteral("memory_kb")),
    result(&Side::pssKb, QStringLiteral("pss_kb")),
    result(&Side::updateNs, QStringLiteral("update_ns")),
    result(&Side::counter, QStringLiteral("counter")),
    result(&Side::expected, QStringLiteral("expected")),
    result(&Side::finished, QStringLiteral("finished")),
    result(&Side::crashed, QStringLiteral("crashed")),
};

// A row of `table`: one measure, a number (in `unit`) or a text on each side.
struct TableRow {
    QString measure;
    QString unit;
    QJsonValue threads;
    QJsonValue processes;
};
const ResultTable<TableRow> kTableRow {
    result(&TableRow::measure, QStringLiteral("measure")),
    result(&TableRow::unit, QStringLiteral("unit")),
    result(&TableRow::threads, QStringLiteral("threads")),
    result(&TableRow::processes, QStringLiteral("processes")),
};

struct Results {
    QString start; // how the processes started
    QJsonArray table; // of TableRow
    QJsonObject threads; // Side
    QJsonObject processes; // Side
    QJsonObject chart;
};
const ResultTable<Results> kResults {
    result(&Results::start, QStringLiteral("start")),
    result(&Results::table, QStringLiteral("table")),
    result(&Results::threads, QStringLiteral("threads")),
    result(&Results::processes, QStringLiteral("processes")),
    result(&Results::chart, QStringLiteral("chart")),
};

// What a process reports: when it started (before the job), and the mean cost of its updates.
struct JobReport {
    std::optional<qint64> startedNs;
    std::optional<double> updateNs;
};
const ResultTable<JobReport> kJobReport {
    result(&JobReport::startedNs, QStringLiteral("started_ns")),
    result(&JobReport::updateNs, QStringLiteral("update_ns")),
};

// Threads: each measures its own start, does the job and the updates, then stays alive until all are measured.
Side measureThreads(RunContext& ctx, const Params& settings)
{
    const int n = settings.workers;
    const auto lanes = addWorkers(ctx, n, QStringLiteral("Thread"));
    std::vector<double> threadStartUs(std::size_t(n), 0.0);
    std::vector<double> threadUpdateNs(std::size_t(n), 0.0);
    std::mutex counterMutex;
    std::int64_t threadCounter = 0;
    std::latch allStarted(n + 1);
    std::latch allDone(n);
    std::latch measured(1);
    // A thread's memory is its stack: the pages it touched there. (The process's RSS grew by more meanwhile:
    // the collector's storage for these very events, which a run without ThreadLab would not have.)
    std::vector<const void*> stacks(std::size_t(n), nullptr);
    std::vector<double> threadStackKb;
    {
        std::vector<std::jthread> threads;
        // However this block ends (out of memory measuring the stacks, say), the threads are let go before
        // the vector joins them.
        const auto letGo = qScopeGuard([&] { measured.count_down(); });
        int made = 0;
        try {
            for (; made < n; ++made) {
                const int k = made;
                const std::int64_t created = clock::monotonicNs();
                threads.emplace_back([&, k, created] {
                    threadStartUs[std::size_t(k)] = double(clock::monotonicNs() - created) / 1e3;
                    // A worker that fails (out of memory) still counts itself in, or the others would wait.
                    bool arrived = false, done = false;
                    const auto release = qScopeGuard([&] {
                        if (!arrived)
                            allStarted.count_down();
                        if (!done)
                            allDone.count_down();
                    });
                    runOnOwnThread(ctx, lanes[std::size_t(k)], [&](std::uint32_t, Recorder& rec) {
                        const int onThisStack = 0;
                        stacks[std::size_t(k)] = &onThisStack;
                        arrived = true;
                        allStarted.arrive_and_wait();
                        burnCpu(ctx, settings.job);
                        threadUpdateNs[std::size_t(k)] = nsPerUpdate(settings.updates, [&] {
                            std::lock_guard lock(counterMutex);
                            ++threadCounter;
                        });
                        rec.record(EventKind::Sleeping);
                        done = true;
                        allDone.count_down();
                        measured.wait();
                    });
                });
            }
        } catch (...) {
            // A thread could not be made (out of memory, a thread limit): the ones that were wait at the
            // latches for it. Let them through quickly (a stop cuts the job short), then they join here.
            ctx.requestStop();
            allStarted.count_down(n - made + 1);
            throw;
        }
        allStarted.count_down();
        allDone.wait();
        for (const void* stack : stacks)
            threadStackKb.push_back(double(residentKbOfMapping(stack)));
    }
    Side side;
    side.startUs = mean(threadStartUs);
    side.memoryKb = mean(threadStackKb);
    side.updateNs = mean(threadUpdateNs);
    side.counter = threadCounter;
    side.expected = n * settings.updates;
    return side;
}

// Processes: the same, with the counter in shared memory under a semaphore.
Side measureProcesses(RunContext& ctx, const QString& scenario, const ChildMain& main, const Params& settings)
{
    const int n = settings.workers;
    const auto job = settings.job;
    const std::int64_t updates = settings.updates;
    const auto segment = SharedSegment::create(QStringLiteral("counter"), sizeof(std::int64_t));
    auto* processCounter = new (segment->data()) std::atomic<std::int64_t>(0);
    const auto semaphore = SharedSemaphore::create(QStringLiteral("lock"), 1);
    int hold[2] = { -1, -1 };
    int go[2] = { -1, -1 };
    if (::pipe2(hold, O_CLOEXEC) != 0 || ::pipe2(go, O_CLOEXEC) != 0)
        throw std::runtime_error("cannot create a pipe");
    Children children(ctx, scenario, settings.start, main);
    std::vector<std::int64_t> spawnedNs;
    std::vector<MemoryUse> memory;
    runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder& rec) {
        for (int k = 0; k < n && !ctx.stopRequested(); ++k) {
            const bool crashes = settings.crash && k == n / 2;
            spawnedNs.push_back(clock::monotonicNs());
            children.start({ QStringLiteral("Process-%1").arg(k + 1), QStringLiteral("job"),
                { QString::number(job.count()), QString::number(updates),
                    crashes ? QStringLiteral("crash") : QString() },
                {},
                QStringLiteral("job %1 ms, %2 updates%3")
                    .arg(job.count())
                    .arg(updates)
                    .arg(crashes ? QStringLiteral(", then crash") : QString()),
                { segment->key(), semaphore->key() }, { { hold[0], kHoldFd }, { go[0], kGoFd } } });
        }
        ::close(std::exchange(hold[0], -1));
        ::close(std::exchange(go[0], -1));
        const QByteArray goAhead(children.count(), 'g');
        writeAll(go[1], goAhead.constData(), std::size_t(goAhead.size()));
        rec.record(EventKind::Sleeping);
        children.waitUntil([&] {
            for (int k = 0; k < children.count(); ++k)
                if (children.gauge(k) == 0 && !children.info(k).ended())
                    return false;
            return true;
        });
        for (int k = 0; k < children.count(); ++k)
            memory.push_back(memoryUse(children.info(k).pid));
        ::close(std::exchange(hold[1], -1)); // the processes may end now
        children.waitForAll();
        rec.record(EventKind::Running);
    });
    for (int fd : { hold[0], hold[1], go[0], go[1] })
        if (fd >= 0)
            ::close(fd);

    std::vector<double> processStartUs, processUpdateNs, rss, pss;
    int crashed = 0;
    for (int k = 0; k < children.count(); ++k) {
        const QJsonObject report = children.report(k);
        const JobReport job = kJobReport.fromObject(report);
        crashed += children.info(k).state == ProcessInfo::State::Crashed;
        if (memory[std::size_t(k)].rssKb > 0) {
            rss.push_back(double(memory[std::size_t(k)].rssKb));
            pss.push_back(double(memory[std::size_t(k)].pssKb));
        }
        if (report.isEmpty())
            continue;
        processStartUs.push_back(double(job.startedNs.value_or(0) - spawnedNs[std::size_t(k)]) / 1e3);
        processUpdateNs.push_back(job.updateNs.value_or(0));
    }
    Side side;
    side.startUs = mean(processStartUs);
    side.memoryKb = mean(rss);
    side.pssKb = mean(pss);
    side.updateNs = mean(processUpdateNs);
    side.counter = processCounter->load();
    side.expected = (children.count() - crashed) * updates;
    side.crashed = crashed;
    side.finished = int(processUpdateNs.size());
    return side;
}

// The two sides side by side: a table and a bar chart.
Results compare(const Side& threads, const Side& processes)
{
    const int crashed = processes.crashed.value_or(0);
    auto row = [](const QString& measure, const QString& unit, const QJsonValue& t, const QJsonValue& p) {
        return kTableRow.toObject({ measure, unit, t, p });
    };
    auto bars = [&](const QString& name, const Side& side) {
        return QJsonObject { { QStringLiteral("name"), name },
            { QStringLiteral("values"), QJsonArray { side.startUs, side.memoryKb, side.updateNs } } };
    };
    return {
        .start = {},
        .table = {
            row(QStringLiteral("start one"), QStringLiteral("µs"), threads.startUs, processes.startUs),
            row(QStringLiteral("memory of one (RSS: a thread's stack, a process's whole)"), QStringLiteral("KiB"),
                threads.memoryKb, processes.memoryKb),
            row(QStringLiteral("one shared update"), QStringLiteral("ns"), threads.updateNs, processes.updateNs),
            row(QStringLiteral("one crashes"), QString(), QStringLiteral("the whole process dies"),
                crashed > 0 ? QStringLiteral("%1 crashed, %2 finished").arg(crashed).arg(processes.finished.value_or(0))
                            : QStringLiteral("none crashed")),
        },
        .threads = kSide.toObject(threads),
        .processes = kSide.toObject(processes),
        .chart = { { QStringLiteral("kind"), QStringLiteral("bars") },
            { QStringLiteral("title"), QStringLiteral("Threads vs processes (log scale)") },
            { QStringLiteral("categories"),
                QJsonArray { QStringLiteral("start (µs)"), QStringLiteral("memory (KiB)"), QStringLiteral("update (ns)") } },
            { QStringLiteral("y_log"), true },
            { QStringLiteral("series"),
                QJsonArray { bars(QStringLiteral("threads"), threads), bars(QStringLiteral("processes"), processes) } } },
    };
}

// The seed's threads-vs-processes table, measured: N threads and N processes doing the same small job, with
// what each costs to start, the memory each takes, what one update of shared data costs, and what a crash does.
class ThreadsVsProcesses final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("threads-vs-processes"),
            .title = QStringLiteral("Threads vs processes"),
            .summary
            = QStringLiteral("N threads and N processes do the same job: start-up, memory, sharing data, a crash"),
            .topic
            = QStringLiteral("Threads vs processes: memory space, creation overhead, data sharing, crash isolation"),
            .params = kParams.specs(),
            .chart = ScenarioInfo::Chart::Drawn,
            .results = mergedOrder(kResults.keys(), kTableRow.keys()) + kSide.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params settings = kParams.read(ctx);
        const Side threads = measureThreads(ctx, settings);
        const Side processes = measureProcesses(
            ctx, info().name, [this](const QString& role, ChildContext& child) { return runChild(role, child); },
            settings);
        Results results = compare(threads, processes);
        results.start = Children::startName(settings.start);
        kResults.report(ctx, results);
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        if (role != u"job")
            return Scenario::runChild(role, child);
        kJobReport.report(child, { .startedNs = clock::monotonicNs(), .updateNs = std::nullopt });
        char byte = 0;
        readAll(kGoFd, &byte, 1);
        spin(std::chrono::milliseconds(child.arg(0).toLongLong()));
        if (child.arg(2) == u"crash")
            std::abort(); // SIGABRT: sanitizers turn a SIGSEGV into an exit code, but leave this a crash
        const auto segment = SharedSegment::attach(child.sharedKey(0));
        auto* counter = std::launder(static_cast<std::atomic<std::int64_t>*>(segment->data()));
        const auto semaphore = SharedSemaphore::open(child.sharedKey(1));
        kJobReport.report(child, { .startedNs = std::nullopt, .updateNs = nsPerUpdate(child.arg(1).toLongLong(), [&] {
                                      semaphore->acquire();
                                      counter->store(
                                          counter->load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                                      semaphore->release();
                                  }) });
        child.recorder().record(EventKind::Sleeping);
        child.setGauge(1); // done: the parent measures memory now
        readAll(kHoldFd, &byte, 1); // until the parent closes its end
        child.recorder().record(EventKind::Running);
        return 0;
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        const Side t = kSide.fromObject(r.threads);
        const Side p = kSide.fromObject(r.processes);
        QString text = QStringLiteral("<table cellpadding=3><tr><th></th><th align=right>threads</th>"
                                      "<th align=right>processes</th></tr>");
        for (const auto& v : r.table) {
            const TableRow row = kTableRow.fromObject(v.toObject());
            auto cell = [&](const QJsonValue& x) {
                return x.isDouble()
                    ? QStringLiteral("%1 %2").arg(x.toDouble(), 0, 'f', x.toDouble() < 10 ? 1 : 0).arg(row.unit)
                    : x.toString();
            };
            text += QStringLiteral("<tr><td>%1</td><td align=right>%2</td><td align=right>%3</td></tr>")
                        .arg(row.measure, cell(row.threads), cell(row.processes));
        }
        text += QStringLiteral("</table>");
        text += QStringLiteral("A process started by <b>%1</b> costs <b>%2× the start-up</b> of a thread")
                    .arg(r.start)
                    .arg(p.startUs / std::max(t.startUs, 0.001), 0, 'f', 0);
        text += r.start == u"fork"
            ? QStringLiteral(" and maps %1 KiB, ThreadLab's memory inherited copy-on-write, of which its own share is "
                             "%2 KiB; ")
                  .arg(p.memoryKb, 0, 'f', 0)
                  .arg(p.pssKb.value_or(0), 0, 'f', 0)
            : QStringLiteral(" and %1 KiB of memory, a program of its own (its share: %2 KiB); ")
                  .arg(p.memoryKb, 0, 'f', 0)
                  .arg(p.pssKb.value_or(0), 0, 'f', 0);
        text += QStringLiteral("sharing one counter costs %1× as much per update (a system semaphore and shared memory "
                               "instead of a mutex). In return a process is isolated: ")
                    .arg(p.updateNs / std::max(t.updateNs, 0.001), 0, 'f', 1);
        text += p.crashed.value_or(0) > 0
            ? QStringLiteral(
                "one crashed and the other %1 finished their work (the counter holds %2 of the expected %3); "
                "a thread that crashes takes every thread of its process down with it.")
                  .arg(p.finished.value_or(0))
                  .arg(p.counter)
                  .arg(p.expected)
            : QStringLiteral(
                "a crash in one would leave the others running, where a crashing thread ends its whole process.");
        return text;
    }
};
}

std::unique_ptr<Scenario> makeThreadsVsProcesses()
{
    return std::make_unique<ThreadsVsProcesses>();
}

} // namespace tl
