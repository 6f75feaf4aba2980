#include "benchmain.h"

#include <processes/children.h>
#include <run/runcontext.h>
#include <scenarios/registry.h>

#include <benchmark/benchmark.h>
#include <chrono>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>

using namespace tl;

namespace {
constexpr int kRepetitions = 5;

// Starting a child as scenarios do (its shared segment and recorder, QProcess of threadlab in child mode)
// up to the moment its first event (Started) is readable in the parent; then it is reaped.
void BM_ChildStart(benchmark::State& state)
{
    const auto scenario = createScenario(QStringLiteral("child-processes"));
    for (auto _ : state) {
        RunContext ctx(ParamSet(scenario->info().params));
        Children children(ctx, QStringLiteral("child-processes"));
        const auto t0 = std::chrono::steady_clock::now();
        children.start({ QStringLiteral("Child-0"), QStringLiteral("child"), { QStringLiteral("0") }, {}, {}, {}, {} });
        Recorder& recorder = *ctx.recorders().back();
        // Poll gently: a spinning parent would take a core from the child it is timing (2-core machine).
        while (recorder.drain([](auto) {}) == 0)
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        children.waitForAll();
    }
}
BENCHMARK(BM_ChildStart)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// The floor: posix_spawn of /bin/true and waiting for it to exit.
void BM_PosixSpawnTrue(benchmark::State& state)
{
    char arg0[] = "/bin/true";
    char* argv[] = { arg0, nullptr };
    for (auto _ : state) {
        pid_t pid = 0;
        if (posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0) {
            state.SkipWithError("posix_spawn failed");
            return;
        }
        int status = 0;
        waitpid(pid, &status, 0);
    }
}
BENCHMARK(BM_PosixSpawnTrue)->Unit(benchmark::kMillisecond)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);
}

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("THREADLAB_CHILD_EXE"))
        qputenv("THREADLAB_CHILD_EXE", THREADLAB_EXE);
    return bench::runBenchmarks(argc, argv,
        { { "BM_ChildStart", "BM_PosixSpawnTrue",
            "a whole posix_spawn + exit of /bin/true takes this share of a child start to its first event" } });
}
