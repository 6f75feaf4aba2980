#include "resulttable.h"
#include "scenario.h"

#include "../pools/simulatedgil.h"
#include "../pools/workload.h"
#include "../processes/children.h"
#include "../run/runcontext.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <QThread>
#include <algorithm>
#include <map>

namespace tl {

namespace {
QJsonArray point(double x, double y)
{
    return { x, y };
}

// Repeated runs of one batch at one worker count; the point drawn is their median, which one slow run
// (another program took a core for a moment) does not move.
struct Point {
    Executor executor = Executor::Sequential;
    int workers = 1;
    std::vector<BatchOutcome> runs;

    bool complete() const
    {
        return !runs.empty() && std::all_of(runs.begin(), runs.end(), [](const auto& b) {
            return b.succeeded() == int(b.tasks.size());
        });
    }
    double medianMs() const
    {
        std::vector<double> ms;
        for (const auto& b : runs)
            ms.push_back(double(b.wallNs) / 1e6);
        std::sort(ms.begin(), ms.end());
        if (ms.empty())
            return 0;
        return ms.size() % 2 ? ms[ms.size() / 2] : (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]) / 2;
    }
};

// Runs `batch` `repeats` times, each run a phase of its own on the timeline.
template <typename Batch>
Point measure(RunContext& ctx, Executor executor, int workers, int repeats, const Batch& batch)
{
    Point p { executor, workers, {} };
    for (int r = 1; r <= repeats && !ctx.stopRequested(); ++r) {
        ctx.beginPhase(executor == Executor::Sequential
                ? QStringLiteral("one by one · %1/%2").arg(r).arg(repeats)
                : QStringLiteral("%1 ×%2 · %3/%4").arg(executorName(executor)).arg(workers).arg(r).arg(repeats));
        p.runs.push_back(batch());
    }
    ctx.endPhase();
    return p;
}

struct Params {
    int maxWorkers = 0;
    int repeats = 0;
    WorkParams work;
    bool gil = false;
    std::chrono::milliseconds switchInterval {};
};
const ParamTable<Params> kParams {
    param(&Params::maxWorkers,
        ParamSpec::integer(QStringLiteral("max_workers"), 4, 1, 16,
            QStringLiteral("Run the batch with 1, 2, … this many workers, for threads and for processes"))),
    param(&Params::repeats,
        ParamSpec::integer(QStringLiteral("repeats"), 3, 1, 9,
            QStringLiteral("Runs at each worker count and of the one-by-one baseline; each point is their median"))),
    paramGroup(&Params::work, workParams()),
    param(&Params::gil,
        ParamSpec::boolean(QStringLiteral("gil"), false,
            QStringLiteral("threads: hold a simulated global interpreter lock while on the CPU"))),
    param(&Params::switchInterval, switchIntervalParam()),
};

// One point of the sweep: a row of `rows`.
struct Row {
    QJsonArray runsMs;
    double speedup = 0; // of the median run
    QString executor;
    int workers = 0;
    double wallMs = 0; // the median run
};
const ResultTable<Row> kRow {
    result(&Row::runsMs, QStringLiteral("runs_ms")),
    result(&Row::speedup, QStringLiteral("speedup")),
    result(&Row::executor, QStringLiteral("executor")),
    result(&Row::workers, QStringLiteral("workers")),
    result(&Row::wallMs, QStringLiteral("wall_ms")),
};

struct Results {
    double sequentialMs = 0;
    int cores = 0;
    int repeats = 0;
    QJsonArray rows;
    QJsonObject chart;
    std::optional<QJsonObject> server;
};
const ResultTable<Results> kResults {
    result(&Results::sequentialMs, QStringLiteral("sequential_ms")),
    result(&Results::cores, QStringLiteral("cores")),
    result(&Results::repeats, QStringLiteral("repeats")),
    result(&Results::rows, QStringLiteral("rows")),
    result(&Results::chart, QStringLiteral("chart")),
    result(&Results::server, QStringLiteral("server")),
};

QJsonObject speedupChart(
    const Params& p, int cores, double top, const QJsonArray& threadPoints, const QJsonArray& processPoints)
{
    return {
        { QStringLiteral("title"), QStringLiteral("Speed-up over one by one (median of %1)").arg(p.repeats) },
        { QStringLiteral("x_title"), QStringLiteral("workers") },
        { QStringLiteral("x_integer"), true },
        { QStringLiteral("y_title"), QStringLiteral("speed-up (×)") },
        { QStringLiteral("series"),
            QJsonArray {
                QJsonObject {
                    { QStringLiteral("name"), p.gil ? QStringLiteral("threads (GIL)") : QStringLiteral("threads") },
                    { QStringLiteral("points"), threadPoints } },
                QJsonObject { { QStringLiteral("name"), QStringLiteral("processes") },
                    { QStringLiteral("points"), processPoints } },
                QJsonObject { { QStringLiteral("name"), QStringLiteral("ideal") }, { QStringLiteral("dashed"), true },
                    { QStringLiteral("points"), QJsonArray { point(1, 1), point(p.maxWorkers, p.maxWorkers) } } },
                QJsonObject { { QStringLiteral("name"), QStringLiteral("%1 cores").arg(cores) },
                    { QStringLiteral("dashed"), true },
                    { QStringLiteral("points"), QJsonArray { point(cores, 0), point(cores, top) } } },
            } },
    };
}

// Pools over 1..N workers for threads and processes: speed-up against workers, with the ideal line and the
// machine's core count, to see where adding workers stops helping.
class WorkerSweep final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("sweep"),
            .title = QStringLiteral("How many workers?"),
            .summary = QStringLiteral("Speed-up against the number of workers, for a thread pool and a process pool"),
            .topic = QStringLiteral("Worker count: number of CPU cores for CPU work, more (5-10) for I/O"),
            .params = kParams.specs(),
            .chart = ScenarioInfo::Chart::Drawn,
            .results = kResults.keys() + kRow.keys() + BatchOutcome::figureOrder(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        PoolBench bench(ctx, p.work);
        const Workload& work = bench.work();
        ThreadPoolExecutor threads(ctx, p.maxWorkers);
        const auto gil = p.gil ? makeGil(ctx, p.switchInterval) : nullptr;
        const Point baseline = measure(
            ctx, Executor::Sequential, 1, p.repeats, [&] { return bench.sequential.run(work, bench.progress); });

        std::vector<Point> points;
        for (int w = 1; w <= p.maxWorkers && !ctx.stopRequested(); ++w)
            points.push_back(measure(
                ctx, Executor::Threads, w, p.repeats, [&] { return threads.run(work, w, gil.get(), bench.progress); }));
        Children children(ctx, info().name);
        runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder&) {
            ProcessPoolExecutor processes(ctx, children, p.maxWorkers, work);
            for (int w = 1; w <= p.maxWorkers && !ctx.stopRequested(); ++w)
                points.push_back(measure(
                    ctx, Executor::Processes, w, p.repeats, [&] { return processes.run(work, w, bench.progress); }));
        });

        Results r;
        r.sequentialMs = baseline.medianMs();
        r.cores = QThread::idealThreadCount();
        r.repeats = p.repeats;
        r.server = bench.server();
        QJsonArray threadPoints, processPoints;
        double top = p.maxWorkers;
        for (const auto& measured : points) {
            const double ms = measured.medianMs();
            const double s = baseline.complete() && measured.complete() && ms > 0 ? r.sequentialMs / ms : 0.0;
            top = std::max(top, s);
            QJsonArray runs;
            for (const auto& b : measured.runs)
                runs.append(double(b.wallNs) / 1e6);
            r.rows.append(kRow.toObject({ runs, s, executorName(measured.executor), measured.workers, ms }));
            (measured.executor == Executor::Threads ? threadPoints : processPoints).append(point(measured.workers, s));
        }
        r.chart = speedupChart(p, r.cores, top, threadPoints, processPoints);
        kResults.report(ctx, r);
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        return role == u"pool-worker" ? runPoolWorker(child) : Scenario::runChild(role, child);
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        const bool cpu = kParams.fromSummary(summary).work.kind == WorkKind::Cpu;
        const int cores = r.cores;
        // Speed-ups by executor (0 threads, 1 processes) and worker count.
        std::map<int, double> speed[2];
        for (const auto& row : r.rows) {
            const Row point = kRow.fromObject(row.toObject());
            speed[point.executor == executorName(Executor::Threads) ? 0 : 1][point.workers] = point.speedup;
        }
        auto best = [&](int i) {
            return std::max_element(
                speed[i].begin(), speed[i].end(), [](auto& a, auto& b) { return a.second < b.second; });
        };
        if (speed[0].empty() || speed[1].empty())
            return QStringLiteral("The sweep stopped before both pools were measured.");
        QString text = QStringLiteral("One by one the batch took %1 ms (median of %2 runs). Best speed-up: <b>threads "
                                      "%3× with %4 workers, processes %5× with %6</b>. ")
                           .arg(r.sequentialMs, 0, 'f', 0)
                           .arg(r.repeats)
                           .arg(best(0)->second, 0, 'f', 2)
                           .arg(best(0)->first)
                           .arg(best(1)->second, 0, 'f', 2)
                           .arg(best(1)->first);
        const int most = speed[1].rbegin()->first;
        if (most <= cores)
            return text
                + QStringLiteral(
                    "Raise max_workers past the core count (%1 here) to see what more workers than cores do.")
                      .arg(cores);
        // What the processes' curve did past the core count (threads may carry a GIL), against its value there.
        const double atCores = speed[1].count(cores) ? speed[1][cores] : 0.0;
        const double past = speed[1][most];
        const bool climbs = past > atCores * 1.15;
        const QString figures = QStringLiteral("processes %1× with %2 workers, %3× with %4")
                                    .arg(atCores, 0, 'f', 2)
                                    .arg(cores)
                                    .arg(past, 0, 'f', 2)
                                    .arg(most);
        if (cpu && gainOf(best(1)->second) != Gain::Clear)
            text
                += QStringLiteral("CPU work on %1 cores should gain from more processes up to the core count, and this "
                                  "sweep did not (%2): %3.")
                       .arg(cores)
                       .arg(figures)
                       .arg(busyMachineAdvice());
        else if (cpu)
            text += climbs
                ? QStringLiteral("Here the curve still rose past the core count (%1 here: %2), which CPU work "
                                 "should not do: another program probably slowed the baseline runs; try "
                                 "more repeats on a quieter machine.")
                      .arg(cores)
                      .arg(figures)
                : QStringLiteral("The curve levels off at the core count (%1 here: %2): more workers than cores "
                                 "only take turns.")
                      .arg(cores)
                      .arg(figures);
        else
            text += climbs
                ? QStringLiteral("The curve keeps climbing past the core count (%1 here: %2): waiting workers "
                                 "need no core.")
                      .arg(cores)
                      .arg(figures)
                : QStringLiteral("Here the curve did not climb past the core count (%1 here: %2): the server "
                                 "or the machine was the limit; try longer I/O waits.")
                      .arg(cores)
                      .arg(figures);
        return text;
    }
};
}

std::unique_ptr<Scenario> makeWorkerSweep()
{
    return std::make_unique<WorkerSweep>();
}

} // namespace tl
