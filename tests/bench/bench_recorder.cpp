// Recording cost and the observer effect. Run: build/tests/bench/bench_recorder
#include "benchmain.h"

#include <run/workers.h>
#include <sync/instrumentedlock.h>
#include <trace/recorder.h>

#include <benchmark/benchmark.h>
#include <chrono>
#include <mutex>
#include <thread>

using namespace tl;

namespace {

constexpr int kRepetitions = 7;

// One recorder per thread, as in a run; drained every 64k events by moving the tail (no copy), so the
// measured cost is record() itself.
void BM_RecordEvent(benchmark::State& state)
{
    const auto owned = Recorder::create(std::uint32_t(state.thread_index()), 1 << 17);
    Recorder& rec = *owned;
    std::int64_t i = 0;
    for (auto _ : state) {
        rec.record(EventKind::LockAcquired, i, 1);
        if ((++i & 0xffff) == 0)
            rec.drain([](std::span<const Event>) {});
    }
    benchmark::DoNotOptimize(rec.dropped());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordEvent)->Threads(1)->Threads(2)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

// What a straightforward tracer does: read steady_clock, push into one vector behind a mutex.
struct MutexTrace {
    std::mutex mutex;
    std::vector<Event> events;
};
MutexTrace g_mutexTrace;

void BM_RecordEventMutexBaseline(benchmark::State& state)
{
    if (state.thread_index() == 0)
        g_mutexTrace.events.reserve(1 << 17);
    std::int64_t i = 0;
    for (auto _ : state) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        {
            std::lock_guard lock(g_mutexTrace.mutex);
            g_mutexTrace.events.push_back({ now, i, std::uint32_t(state.thread_index()), 1,
                std::int16_t(sched_getcpu()), EventKind::LockAcquired });
            if (g_mutexTrace.events.size() >= (1 << 17))
                g_mutexTrace.events.clear();
        }
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordEventMutexBaseline)->Threads(1)->Threads(2)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

// lock-contention's loop (4 workers, 20 µs work, 10 µs hold, std::mutex), with and without recording.
// Both variants run inside each iteration, alternating, so drift on the machine hits them alike; the
// counter `ratio` is throughput with recording / throughput without.
void BM_ObserverEffect(benchmark::State& state)
{
    const int workers = 4;
    const std::int64_t iterations = state.range(0);
    const std::chrono::microseconds work(20), hold(10);
    double recordedNs = 0, plainNs = 0;
    ParamSet noParams;
    for (auto _ : state) {
        for (const bool recording : { true, false }) {
            RunContext ctx(noParams);
            ctx.reserveWorkers(workers);
            InstrumentedLock& lock = ctx.addLock(QStringLiteral("shared"), LockKind::Mutex);
            std::mutex plain;
            std::vector<std::uint32_t> ids;
            for (int w = 0; w < workers; ++w)
                ids.push_back(ctx.addWorker(QStringLiteral("w%1").arg(w)));
            std::vector<LockStats> stats(workers);
            const auto t0 = std::chrono::steady_clock::now();
            runWorkers(ctx, Backend::StdThread, ids, [&](std::uint32_t worker, Recorder& rec) {
                for (std::int64_t i = 0; i < iterations; ++i) {
                    burnCpu(ctx, work);
                    if (recording) {
                        InstrumentedGuard guard(lock, rec, stats[worker], LockKind::Mutex);
                        burnCpu(ctx, hold);
                    } else {
                        std::lock_guard guard(plain);
                        burnCpu(ctx, hold);
                    }
                }
            });
            const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
            (recording ? recordedNs : plainNs) += ns;
        }
    }
    state.counters["ratio"] = plainNs / recordedNs; // throughput on / throughput off
    state.counters["acq_per_s_recording"] = double(workers * iterations * state.iterations()) * 1e9 / recordedNs;
    state.counters["acq_per_s_plain"] = double(workers * iterations * state.iterations()) * 1e9 / plainNs;
}
BENCHMARK(BM_ObserverEffect)
    ->Arg(2000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

} // namespace

int main(int argc, char** argv)
{
    return tl::bench::runBenchmarks(argc, argv,
        { { "BM_RecordEvent/threads:1", "BM_RecordEventMutexBaseline/threads:1",
              "mutex-vector baseline is this much slower, 1 thread" },
            { "BM_RecordEvent/threads:2", "BM_RecordEventMutexBaseline/threads:2",
                "same, 2 threads recording at once" } });
}
