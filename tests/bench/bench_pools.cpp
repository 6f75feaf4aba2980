#include "benchmain.h"

#include <pools/httpserver.h>
#include <pools/simulatedgil.h>
#include <pools/taskpool.h>
#include <processes/children.h>
#include <run/runcontext.h>
#include <scenarios/registry.h>

#include <benchmark/benchmark.h>
#include <optional>

// The figures: speed-up of each executor over the same batch run one by one, in the same run.
// cpu: 8 exact factorials of ~20000; io: 8 GETs from the loopback server answering after 100 ms.
using namespace tl;

namespace {
constexpr int kRepetitions = 5;
constexpr int kTasks = 8;

ParamSet poolsParams()
{
    return ParamSet(createScenario(QStringLiteral("pools"))->info().params);
}

Workload cpuWork()
{
    Workload w;
    w.tasks = kTasks;
    w.number = 20000;
    return w;
}

// The loopback server lives for the whole program: every io benchmark GETs from it.
const Workload& ioWork()
{
    static LoopbackHttpServer server(std::chrono::milliseconds(100), 16 * 1024);
    static const Workload w = [] {
        Workload io;
        io.kind = WorkKind::Io;
        io.tasks = kTasks;
        io.url = QUrl(server.url().toString() + QStringLiteral("page/"));
        return io;
    }();
    return w;
}

void checkAllSucceeded(benchmark::State& state, const BatchOutcome& batch)
{
    if (batch.succeeded() != int(batch.tasks.size()))
        state.SkipWithError("a task failed");
}

void runSequential(benchmark::State& state, const Workload& work)
{
    RunContext ctx(poolsParams());
    SequentialExecutor executor(ctx);
    PoolProgress progress;
    for (auto _ : state)
        checkAllSucceeded(state, executor.run(work, progress));
}

void runThreads(benchmark::State& state, const Workload& work, bool withGil)
{
    RunContext ctx(poolsParams());
    const int workers = int(state.range(0));
    ThreadPoolExecutor executor(ctx, workers);
    PoolProgress progress;
    std::optional<SimulatedGil> gil;
    if (withGil)
        gil.emplace(ctx.addExternalLock(QStringLiteral("GIL")), std::chrono::milliseconds(5), [] { return false; });
    for (auto _ : state)
        checkAllSucceeded(state, executor.run(work, workers, gil ? &*gil : nullptr, progress));
}

void runProcesses(benchmark::State& state, const Workload& work)
{
    RunContext ctx(poolsParams());
    const int workers = int(state.range(0));
    Children children(ctx, QStringLiteral("pools"));
    ProcessPoolExecutor executor(ctx, children, workers, work);
    PoolProgress progress;
    for (auto _ : state)
        checkAllSucceeded(state, executor.run(work, workers, progress));
}

void BM_CpuSequential(benchmark::State& s)
{
    runSequential(s, cpuWork());
}
void BM_CpuThreads(benchmark::State& s)
{
    runThreads(s, cpuWork(), false);
}
void BM_CpuThreadsGil(benchmark::State& s)
{
    runThreads(s, cpuWork(), true);
}
void BM_CpuProcesses(benchmark::State& s)
{
    runProcesses(s, cpuWork());
}
void BM_IoSequential(benchmark::State& s)
{
    runSequential(s, ioWork());
}
void BM_IoThreads(benchmark::State& s)
{
    runThreads(s, ioWork(), false);
}
void BM_IoThreadsGil(benchmark::State& s)
{
    runThreads(s, ioWork(), true);
}

#define POOL_BENCHMARK(name)                                                                                           \
    BENCHMARK(name)->UseRealTime()->Unit(benchmark::kMillisecond)->Repetitions(kRepetitions)->ReportAggregatesOnly(true)
POOL_BENCHMARK(BM_CpuSequential)->Iterations(1);
POOL_BENCHMARK(BM_CpuThreads)->Arg(2)->Iterations(1);
POOL_BENCHMARK(BM_CpuThreadsGil)->Arg(2)->Iterations(1);
POOL_BENCHMARK(BM_CpuProcesses)->Arg(2)->Iterations(1);
POOL_BENCHMARK(BM_IoSequential)->Iterations(1);
POOL_BENCHMARK(BM_IoThreads)->Arg(8)->Iterations(1);
POOL_BENCHMARK(BM_IoThreadsGil)->Arg(8)->Iterations(1);
}

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("THREADLAB_CHILD_EXE"))
        qputenv("THREADLAB_CHILD_EXE", THREADLAB_EXE);
    return bench::runBenchmarks(argc, argv,
        {
            { "BM_CpuThreads/2", "BM_CpuSequential", "cpu: speed-up of a 2-thread pool (no GIL) over one by one" },
            { "BM_CpuThreadsGil/2", "BM_CpuSequential", "cpu: speed-up of 2 threads holding the simulated GIL" },
            { "BM_CpuProcesses/2", "BM_CpuSequential", "cpu: speed-up of a 2-process pool (started beforehand)" },
            { "BM_IoThreads/8", "BM_IoSequential", "io: speed-up of 8 threads, 8 GETs of 100 ms" },
            { "BM_IoThreadsGil/8", "BM_IoSequential", "io: the same with the simulated GIL" },
        });
}
