#include "scenario.h"

#include "../pools/taskpool.h"
#include "../pools/workload.h"
#include "../run/runcontext.h"

#include <QJsonArray>
#include <QThread>
#include <bit>
#include <sched.h>

namespace tl {

// Concurrency vs parallelism: the same CPU tasks on threads confined to one core (interleaved) and free to
// use every core (in parallel), with the CPUs each run used.
class Cores : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

namespace {
QJsonArray cpuArray(std::uint64_t mask)
{
    QJsonArray cpus;
    for (int c = 0; c < 64; ++c)
        if (mask & (std::uint64_t(1) << c))
            cpus.append(c);
    return cpus;
}

QJsonObject phaseJson(const BatchOutcome& batch)
{
    QJsonObject o = batch.toJson(false);
    o.insert(QStringLiteral("cpus"), cpuArray(batch.cpus()));
    o.insert(QStringLiteral("cpus_used"), std::popcount(batch.cpus()));
    return o;
}
}

ScenarioInfo Cores::info() const
{
    return {
        QStringLiteral("cores"),
        QStringLiteral("Concurrency vs parallelism"),
        QStringLiteral("The same CPU tasks on threads held to one core, then free to use every core"),
        QStringLiteral("Concurrency: tasks interleaved on a single core; parallelism: on several cores at once"),
        {
            ParamSpec::integer(QStringLiteral("workers"), 2, 1, 32, QStringLiteral("Threads in the pool")),
            ParamSpec::integer(QStringLiteral("tasks"), 4, 1, 256, QStringLiteral("Factorial tasks in the batch")),
            ParamSpec::integer(QStringLiteral("number"), 20000, 1000, 200'000,
                QStringLiteral("Task i computes (number + i)! exactly")),
        },
        ScenarioInfo::Chart::None,
        QStringList { QStringLiteral("cores_available"), QStringLiteral("wall_ms"), QStringLiteral("speedup"),
            QStringLiteral("one_core"), QStringLiteral("all_cores"), QStringLiteral("cpus"),
            QStringLiteral("cpus_used") }
            + BatchOutcome::figureOrder(),
    };
}

void Cores::run(RunContext& ctx)
{
    const int workers = int(ctx.value(QStringLiteral("workers")));
    Workload work;
    work.tasks = int(ctx.value(QStringLiteral("tasks")));
    work.number = ctx.value(QStringLiteral("number"));

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

    ctx.setResult(QStringLiteral("cores_available"), CPU_COUNT(&allowed));
    ctx.setResult(QStringLiteral("one_core"), phaseJson(oneCore));
    ctx.setResult(QStringLiteral("all_cores"), phaseJson(allCores));
    ctx.setResult(QStringLiteral("wall_ms"), double(allCores.wallNs) / 1e6);
    ctx.setResult(QStringLiteral("speedup"), speedup(oneCore, allCores));
}

QString Cores::describeOutcome(const QJsonObject& summary) const
{
    const QJsonObject r = summary[u"results"].toObject();
    const QJsonObject one = r[u"one_core"].toObject();
    const QJsonObject all = r[u"all_cores"].toObject();
    auto cpus = [](const QJsonObject& phase) {
        QStringList list;
        for (const auto& c : phase[u"cpus"].toArray())
            list << QString::number(c.toInt());
        return list.join(QStringLiteral(", "));
    };
    const double speed = r[u"speedup"].toDouble();
    QString text
        = QStringLiteral("Held to one core, the %1 threads ran <b>concurrently</b>: interleaved on CPU %2, one at "
                         "a time, in %3 ms. ")
              .arg(QString::number(summary[u"params"].toObject()[u"workers"].toInt()), cpus(one))
              .arg(one[u"wall_ms"].toDouble(), 0, 'f', 0);
    const QString freed = QStringLiteral("Free to use all %1 cores").arg(r[u"cores_available"].toInt());
    if (all[u"cpus_used"].toInt() > 1 && gainOf(speed) == Gain::Clear)
        return text
            + QStringLiteral(
                "%1, they ran <b>in parallel</b> on CPUs %2, in %3 ms: <b>%4× as fast</b>. View → Lanes by "
                "CPU (Ctrl+U) shows it from the CPUs.")
                  .arg(freed, cpus(all))
                  .arg(all[u"wall_ms"].toDouble(), 0, 'f', 0)
                  .arg(speed, 0, 'f', 2);
    return text
        + QStringLiteral("%1, they ran on CPU%2 %3 in %4 ms: <b>%5× as fast</b>, so this run shows no parallelism: %6.")
              .arg(freed, all[u"cpus_used"].toInt() > 1 ? QStringLiteral("s") : QString(), cpus(all))
              .arg(all[u"wall_ms"].toDouble(), 0, 'f', 0)
              .arg(speed, 0, 'f', 2)
              .arg(busyMachineAdvice());
}

std::unique_ptr<Scenario> makeCores()
{
    return std::make_unique<Cores>();
}

} // namespace tl
