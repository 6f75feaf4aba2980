#include "benchmain.h"

#include <processes/childcontext.h>
#include <processes/children.h>
#include <run/runcontext.h>
#include <scenarios/registry.h>

#include <benchmark/benchmark.h>
#include <chrono>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace tl;

namespace {
constexpr int kRepetitions = 5;

// Starting a child as child-processes does (its shared segment and recorder; fork, or QProcess of threadlab
// in child mode), with a payload of state.range(1) MiB: the time from the fork or spawn until the child has
// the payload in hand, i.e. the start the parent measures (to the child's first instruction of its own) plus
// the child's own time to get its input (in place when forked, read from the pipe when spawned).
void BM_ChildStart(benchmark::State& state)
{
    const auto start = state.range(0) == 0 ? StartMethod::Fork : StartMethod::Spawn;
    const auto scenario = createScenario(QStringLiteral("child-processes"));
    const QByteArray input = '\n' + QByteArray(state.range(1) * 1024 * 1024, 'p');
    double startMs = 0;
    double inputMs = 0;
    for (auto _ : state) {
        RunContext ctx(ParamSet(scenario->info().params));
        Children children(ctx, QStringLiteral("child-processes"), start,
            [&](const QString& role, ChildContext& child) { return scenario->runChild(role, child); });
        children.start(
            { QStringLiteral("Child-0"), QStringLiteral("child"), { QStringLiteral("0") }, input, {}, {}, {} });
        children.waitForAll();
        const ProcessInfo info = children.info(0);
        const double read = children.report(0)[u"input_ms"].toDouble(-1);
        if (info.startNs < 0 || read < 0) {
            state.SkipWithError("the child did not report");
            return;
        }
        startMs += double(info.startNs) / 1e6;
        inputMs += read;
        state.SetIterationTime(double(info.startNs) / 1e9 + read / 1e3);
    }
    state.counters["start_ms"] = benchmark::Counter(startMs, benchmark::Counter::kAvgIterations);
    state.counters["input_ms"] = benchmark::Counter(inputMs, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_ChildStart)
    ->ArgNames({ "spawn", "payload_mib" })
    ->Args({ 0, 0 })
    ->Args({ 0, 64 })
    ->Args({ 1, 0 })
    ->Args({ 1, 64 })
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// A floor: posix_spawn of /bin/true and waiting for it to exit.
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

// The other floor: a bare fork() of this process, whose child ends at once, and waiting for it.
void BM_ForkExitWait(benchmark::State& state)
{
    for (auto _ : state) {
        const pid_t pid = fork();
        if (pid == 0)
            _exit(0);
        if (pid < 0) {
            state.SkipWithError("fork failed");
            return;
        }
        int status = 0;
        waitpid(pid, &status, 0);
    }
}
BENCHMARK(BM_ForkExitWait)->Unit(benchmark::kMillisecond)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);
}

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("THREADLAB_CHILD_EXE"))
        qputenv("THREADLAB_CHILD_EXE", THREADLAB_EXE);
    const char* meaning = "a bare fork + _exit + waitpid takes this share of the child's start";
    const char* spawnMeaning = "a whole posix_spawn + exit of /bin/true takes this share of the child's start";
    return bench::runBenchmarks(argc, argv,
        {
            { "BM_ChildStart/spawn:0/payload_mib:0", "BM_ForkExitWait", meaning },
            { "BM_ChildStart/spawn:0/payload_mib:64", "BM_ForkExitWait", meaning },
            { "BM_ChildStart/spawn:1/payload_mib:0", "BM_PosixSpawnTrue", spawnMeaning },
            { "BM_ChildStart/spawn:1/payload_mib:64", "BM_PosixSpawnTrue", spawnMeaning },
            { "BM_ChildStart/spawn:1/payload_mib:0", "BM_ChildStart/spawn:0/payload_mib:0",
                "a fork's start takes this share of a spawn's (no payload)" },
            { "BM_ChildStart/spawn:1/payload_mib:64", "BM_ChildStart/spawn:0/payload_mib:64",
                "a fork's start takes this share of a spawn's (64 MiB payload)" },
        });
}
