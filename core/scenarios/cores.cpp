#include "resulttable.h"
#include "scenario.h"

#include "../pools/taskpool.h"
#include "../pools/workload.h"
#include "../run/runcontext.h"

#include <QJsonArray>
#include <QThread>
#include <bit>
#include <sched.h>

namespace tl {

namespace {
QJsonArray cpuArray(std::uint64_t mask)
{
    QJsonArray cpus;
    for (int c = 0; c < 64; ++c)
        if (mask & (std::uint64_t(1) << c))
            cpus.append(c);
    return cpus;
}

// The CPUs one phase's threads ran on, beside its batch figures.
struct PhaseCpus {
    QJsonArray cpus;
    int cpusUsed = 0;
};
const ResultTable<PhaseCpus> kPhaseCpus {
    result(&PhaseCpus::cpus, QStringLiteral("cpus")),
    result(&PhaseCpus::cpusUsed, QStringLiteral("cpus_used")),
};

QJsonObject phaseJson(const BatchOutcome& batch)
{
    QJsonObject o = batch.toJson(false);
    const QJsonObject cpus = kPhaseCpus.toObject({ cpuArray(batch.cpus()), std::popcount(batch.cpus()) });
    for (auto it = cpus.begin(); it != cpus.end(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

struct Params {
    int workers = 0;
    int tasks = 0;
    std::int64_t number = 0;
};
const ParamTable<Params> kParams {
    param(&Params::workers,
        ParamSpec::integer(QStringLiteral("workers"), 2, 1, 32, QStringLiteral("Threads in the pool"))),
    param(&Params::tasks,
        ParamSpec::integer(QStringLiteral("tasks"), 4, 1, 256, QStringLiteral("Factorial tasks in the batch"))),
    param(&Params::number,
        ParamSpec::integer(
            QStringLiteral("number"), 20000, 1000, 200'000, QStringLiteral("Task i computes (number + i)! exactly"))),
};

struct Results {
    int coresAvailable = 0;
    double wallMs = 0; // on all cores
    double speedup = 0;
    QJsonObject oneCore; // phaseJson()
    QJsonObject allCores;
};
const ResultTable<Results> kResults {
    result(&Results::coresAvailable, QStringLiteral("cores_available")),
    result(&Results::wallMs, QStringLiteral("wall_ms")),
    result(&Results::speedup, QStringLiteral("speedup")),
    result(&Results::oneCore, QStringLiteral("one_core")),
    result(&Results::allCores, QStringLiteral("all_cores")),
};

// Concurrency vs parallelism: the same CPU tasks on threads confined to one core (interleaved) and free to
// use every core (in parallel), with the CPUs each run used.
class ConcurrencyVsParallelism final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("cores"),
            .title = QStringLiteral("Concurrency vs parallelism"),
            .summary = QStringLiteral("The same CPU tasks on threads held to one core, then free to use every core"),
            .topic
            = QStringLiteral("Concurrency: tasks interleaved on a single core; parallelism: on several cores at once"),
            .params = kParams.specs(),
            .results = kResults.keys() + kPhaseCpus.keys() + BatchOutcome::figureOrder(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const int workers = p.workers;
        Workload work;
        work.tasks = p.tasks;
        work.number = p.number;

        cpu_set_t allowed;
        CPU_ZERO(&allowed);
        if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
            throw std::runtime_error("cannot read which CPUs ThreadLab may use");
        int firstCpu = 0;
        while (firstCpu < CPU_SETSIZE && !CPU_ISSET(firstCpu, &allowed))
            ++firstCpu;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(firstCpu, &one);

        PoolProgress progress;
        const auto counters = addProgressCounters(ctx, progress);
        ThreadPoolExecutor pool(ctx, workers);
        // Affinity is per thread on Linux, and a new thread inherits its creator's: confining this thread while
        // it starts the pool confines the pool's threads from their first instruction, and neither the collector
        // nor the window.
        auto confinedTo = [&](const cpu_set_t& cpus) {
            sched_setaffinity(0, sizeof cpus, &cpus);
            BatchOutcome batch = pool.run(work, workers, nullptr, progress);
            sched_setaffinity(0, sizeof allowed, &allowed);
            return batch;
        };
        const BatchOutcome oneCore = confinedTo(one);
        const BatchOutcome allCores = confinedTo(allowed);

        kResults.report(ctx,
            {
                .coresAvailable = CPU_COUNT(&allowed),
                .wallMs = double(allCores.wallNs) / 1e6,
                .speedup = speedup(oneCore, allCores),
                .oneCore = phaseJson(oneCore),
                .allCores = phaseJson(allCores),
            });
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        const QJsonObject& one = r.oneCore;
        const QJsonObject& all = r.allCores;
        const int cpusUsed = kPhaseCpus.fromObject(all).cpusUsed;
        auto cpus = [](const QJsonObject& phase) {
            QStringList list;
            for (const auto& c : kPhaseCpus.fromObject(phase).cpus)
                list << QString::number(c.toInt());
            return list.join(QStringLiteral(", "));
        };
        const double speed = r.speedup;
        QString text
            = QStringLiteral("Held to one core, the %1 threads ran <b>concurrently</b>: interleaved on CPU %2, one at "
                             "a time, in %3 ms. ")
                  .arg(QString::number(kParams.fromSummary(summary).workers), cpus(one))
                  .arg(one[u"wall_ms"].toDouble(), 0, 'f', 0);
        const QString freed = QStringLiteral("Free to use all %1 cores").arg(r.coresAvailable);
        if (cpusUsed > 1 && gainOf(speed) == Gain::Clear)
            return text
                + QStringLiteral(
                    "%1, they ran <b>in parallel</b> on CPUs %2, in %3 ms: <b>%4× as fast</b>. View → Lanes by "
                    "CPU (Ctrl+U) shows it from the CPUs.")
                      .arg(freed, cpus(all))
                      .arg(all[u"wall_ms"].toDouble(), 0, 'f', 0)
                      .arg(speed, 0, 'f', 2);
        return text
            + QStringLiteral(
                "%1, they ran on CPU%2 %3 in %4 ms: <b>%5× as fast</b>, so this run shows no parallelism: %6.")
                  .arg(freed, cpusUsed > 1 ? QStringLiteral("s") : QString(), cpus(all))
                  .arg(all[u"wall_ms"].toDouble(), 0, 'f', 0)
                  .arg(speed, 0, 'f', 2)
                  .arg(busyMachineAdvice());
    }
};
}

std::unique_ptr<Scenario> makeConcurrencyVsParallelism()
{
    return std::make_unique<ConcurrencyVsParallelism>();
}

} // namespace tl
