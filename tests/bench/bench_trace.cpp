// What `threadlab trace` costs a program before its first instruction, and in all, against starting the same
// program directly (the floor: posix_spawn + wait).
#include "benchmain.h"

#include <benchmark/benchmark.h>

#include <QByteArray>
#include <ctime>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {
constexpr int kRepetitions = 5;

std::int64_t realtimeNs()
{
    timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Spawns `args` with its standard output in a pipe, waits for it, and returns what it printed.
std::string spawnAndRead(std::vector<std::string> args, benchmark::State& state)
{
    int out[2];
    if (pipe(out) != 0) {
        state.SkipWithError("pipe failed");
        return {};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    std::string text;
    char buffer[256];
    for (ssize_t n; (n = read(out[0], buffer, sizeof buffer)) > 0;)
        text.append(buffer, std::size_t(n));
    close(out[0]);
    if (rc != 0) {
        state.SkipWithError("posix_spawn failed");
        return {};
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return text;
}

// /bin/date's first line: the wall clock when it ran, in ns.
const std::vector<std::string> kDate { "/bin/date", "+%s%N" };

std::vector<std::string> traced(std::vector<std::string> command)
{
    std::vector<std::string> args { THREADLAB_EXE, "trace", "--" };
    args.insert(args.end(), command.begin(), command.end());
    return args;
}

// From the spawn to the program's own first output: how long it waits before it runs.
void startUntilFirstInstruction(benchmark::State& state, const std::vector<std::string>& args)
{
    for (auto _ : state) {
        const std::int64_t before = realtimeNs();
        const std::string printed = spawnAndRead(args, state);
        const std::int64_t ran = std::stoll(printed.empty() ? std::string("0") : printed);
        state.SetIterationTime(double(ran - before) / 1e9);
    }
}

void BM_DateStarts(benchmark::State& state)
{
    startUntilFirstInstruction(state, kDate);
}
BENCHMARK(BM_DateStarts)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

void BM_TracedDateStarts(benchmark::State& state)
{
    startUntilFirstInstruction(state, traced(kDate));
}
BENCHMARK(BM_TracedDateStarts)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);

// The whole of it: start, run, end, and (traced) the summary.
void BM_True(benchmark::State& state)
{
    for (auto _ : state)
        spawnAndRead({ "/bin/true" }, state);
}
BENCHMARK(BM_True)->Unit(benchmark::kMillisecond)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

void BM_TracedTrue(benchmark::State& state)
{
    for (auto _ : state)
        spawnAndRead(traced({ "/bin/true" }), state);
}
BENCHMARK(BM_TracedTrue)->Unit(benchmark::kMillisecond)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

// A CPU-bound 4-thread program with a contended mutex, its throughput (critical sections per second, as it
// measures itself) untraced and traced: iteration time = 1 / throughput, so the ratio is traced/untraced.
void programThroughput(benchmark::State& state, const std::vector<std::string>& args)
{
    for (auto _ : state) {
        const std::string printed = spawnAndRead(args, state);
        const double perSecond = printed.empty() ? 0 : std::stod(printed);
        if (perSecond <= 0) {
            state.SkipWithError("the program printed no throughput");
            return;
        }
        state.SetIterationTime(1.0 / perSecond);
        state.counters["sections_per_s"] = perSecond;
    }
}

const std::vector<std::string> kContention { CONTENTION_PROGRAM, "1000" };

void BM_ContendedProgram(benchmark::State& state)
{
    programThroughput(state, kContention);
}
BENCHMARK(BM_ContendedProgram)->UseManualTime()->Iterations(1)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

void BM_TracedContendedProgram(benchmark::State& state)
{
    programThroughput(state, traced(kContention));
}
BENCHMARK(BM_TracedContendedProgram)
    ->UseManualTime()
    ->Iterations(1)
    ->Repetitions(kRepetitions)
    ->ReportAggregatesOnly(true);
}

int main(int argc, char** argv)
{
    return tl::bench::runBenchmarks(argc, argv,
        {
            { "BM_TracedDateStarts", "BM_DateStarts",
                "a program started directly waits this share of the time a traced one waits before it runs" },
            { "BM_TracedTrue", "BM_True", "/bin/true alone takes this share of `threadlab trace -- /bin/true`" },
            { "BM_TracedContendedProgram", "BM_ContendedProgram",
                "a traced 4-thread program with a contended mutex keeps this share of its untraced throughput" },
        });
}
