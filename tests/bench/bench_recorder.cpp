// Recording cost against the hardware's floor, and the observer effect through the real pipeline.
// Run: build/tests/bench/bench_recorder
#include "benchmain.h"

#include <run/collector.h>
#include <run/runcontext.h>
#include <run/workers.h>
#include <scenarios/registry.h>
#include <session/runcontroller.h>
#include <sync/instrumentedlock.h>
#include <trace/recorder.h>

#include <QEventLoop>
#include <benchmark/benchmark.h>
#include <chrono>
#include <immintrin.h>
#include <mutex>
#include <thread>

using namespace tl;

namespace {

constexpr int kRepetitions = 7;
// Large enough that a drain every millisecond keeps up with a writer at ~100 M events/s: no subject drops.
constexpr std::size_t kRing = 1 << 20;

// Every subject below is drained the same way: by a thread of its own, every millisecond, as the collector
// drains a run (so the cost of handing cache lines to another core is in every figure alike).
class Drainer {
public:
    explicit Drainer(std::function<void()> drain)
        : m_drain(std::move(drain))
        , m_thread([this] {
            while (!m_stop.load(std::memory_order_relaxed)) {
                m_drain();
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
        })
    {
    }
    ~Drainer()
    {
        m_stop.store(true);
        m_thread.join();
    }

private:
    std::function<void()> m_drain;
    std::atomic<bool> m_stop { false };
    std::thread m_thread;
};

// The floor: read the tick counter and store it, nothing else.
void BM_ReadTsc(benchmark::State& state)
{
    std::vector<std::uint64_t> stamps(kRing);
    std::size_t i = 0;
    for (auto _ : state) {
        stamps[i++ & (kRing - 1)] = clock::ticks();
        benchmark::ClobberMemory();
    }
    benchmark::DoNotOptimize(stamps.data());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadTsc)->Threads(1)->Threads(2)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

// What workers do: one record() into the worker's own recorder, as a run makes it (growing, handing over
// full chunks and taking recycled ones, charging a budget).
void BM_RecordEvent(benchmark::State& state)
{
    RecordingBudget budget(std::size_t(1) << 50); // never spent: the drainer recycles the chunks
    const auto owned = Recorder::create(std::uint32_t(state.thread_index()), budget);
    Recorder& rec = *owned;
    Drainer drainer([&] { rec.drain([](std::span<const Event>) {}); });
    std::int32_t i = 0;
    for (auto _ : state)
        rec.record(EventKind::LockAcquired, ++i, 1);
    state.counters["dropped"] = double(rec.dropped());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordEvent)->Threads(1)->Threads(2)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

// Sensitivity: the same recorder timestamping with CLOCK_MONOTONIC (what it does where the TSC is not
// invariant). Must show a worse ratio to the floor than BM_RecordEvent, or the floor measures nothing.
void BM_RecordEventMonotonicClock(benchmark::State& state)
{
    const auto owned = Recorder::create(0, kRing);
    Recorder& rec = *owned;
    Drainer drainer([&] { rec.drain([](std::span<const Event>) {}); });
    std::int32_t i = 0;
    for (auto _ : state)
        rec.recordAt(std::uint64_t(clock::monotonicNs()), EventKind::LockAcquired, ++i, 1);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordEventMonotonicClock)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

// What a straightforward tracer does: read steady_clock, push into the thread's vector behind a mutex that
// the drainer takes to swap the vector out. Same threads, same drains, same fields as BM_RecordEvent.
void BM_RecordEventMutexBaseline(benchmark::State& state)
{
    std::mutex mutex;
    std::vector<Event> events;
    events.reserve(kRing);
    std::vector<Event> spare;
    spare.reserve(kRing);
    Drainer drainer([&] {
        std::lock_guard lock(mutex);
        events.swap(spare);
        events.clear();
    });
    std::int32_t i = 0;
    for (auto _ : state) {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        std::lock_guard lock(mutex);
        if (events.size() < kRing)
            events.push_back({ now, ++i, 1, std::uint8_t(sched_getcpu()), EventKind::LockAcquired });
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordEventMutexBaseline)->Threads(1)->Threads(2)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

// The observer effect on a fixed amount of work, through the real pipeline: a RunContext with its collector
// draining every tick and building spans for a sink, as the window does. Modes: recording through the
// instrumented lock; a plain std::mutex with no recording; recording slowed by ~100 ns per event (the
// sensitivity check: its ratio must come out well below the real one); and the floor of any recorder that
// times each hold: the plain mutex with only the two tick reads a hold needs inside it (one after taking,
// one before releasing) and nothing recorded. `ratio` = time plain / time here.
enum class Observe { Plain, Recording, SlowedRecording, TimestampsOnly };

struct Workload {
    const char* name;
    std::chrono::nanoseconds work; // outside the lock
    std::chrono::nanoseconds hold; // inside it
    std::int64_t iterations;
};
// lock-contention at its defaults (20 µs work, 10 µs hold) and race-counter lock=mutex (an increment under
// the lock, nothing outside: three events per ~25 ns of work, the worst case).
constexpr Workload kLockContention { "lock-contention", std::chrono::microseconds(20), std::chrono::microseconds(10),
    2000 };
constexpr Workload kRaceCounterMutex { "race-counter", std::chrono::nanoseconds(0), std::chrono::nanoseconds(0),
    400'000 };

void slowDown(Recorder&)
{
    const std::uint64_t until = clock::ticks() + std::uint64_t(100.0 / clock::nsPerTick());
    while (clock::ticks() < until) { }
}

double runWorkload(const Workload& w, Observe mode)
{
    constexpr int kWorkers = 2;
    ParamSet noParams;
    RunContext ctx(noParams);
    Trace trace;
    Collector collector(
        ctx, trace, [](TraceBatchPtr) {}, BatchContent::SpansAndProgress);
    InstrumentedLock& lock = ctx.addLock(QStringLiteral("shared"), LockKind::Mutex);
    std::mutex plain;
    std::atomic<std::int64_t> counter { 0 };
    std::vector<std::uint32_t> ids;
    for (int i = 0; i < kWorkers; ++i)
        ids.push_back(ctx.addWorker(QStringLiteral("w%1").arg(i)));
    std::vector<LockStats> stats(kWorkers);
    std::atomic<std::uint64_t> heldTotal { 0 };
    collector.start();
    const auto t0 = std::chrono::steady_clock::now();
    runWorkers(ctx, Backend::StdThread, ids, [&](std::uint32_t worker, Recorder& rec) {
        std::uint64_t held = 0;
        auto section = [&] {
            counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            if (w.hold.count() > 0)
                burnCpu(ctx, w.hold);
        };
        for (std::int64_t i = 0; i < w.iterations; ++i) {
            if (w.work.count() > 0)
                burnCpu(ctx, w.work);
            if (mode == Observe::Plain) {
                std::lock_guard guard(plain);
                section();
                continue;
            }
            if (mode == Observe::TimestampsOnly) {
                std::lock_guard guard(plain);
                const std::uint64_t takenAt = clock::ticks();
                section();
                held += clock::ticks() - takenAt;
                continue;
            }
            if (mode == Observe::SlowedRecording)
                slowDown(rec);
            InstrumentedGuard guard(lock, rec, stats[worker], LockKind::Mutex);
            if (mode == Observe::SlowedRecording)
                slowDown(rec), slowDown(rec);
            section();
        }
        heldTotal += held;
    });
    benchmark::DoNotOptimize(heldTotal.load());
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    collector.finish();
    return ns;
}

void BM_ObserverEffect(benchmark::State& state, const Workload& w, Observe mode)
{
    double observedNs = 0, plainNs = 0;
    for (auto _ : state) {
        // Alternating in each iteration, so drift on the machine hits both alike.
        observedNs += runWorkload(w, mode);
        plainNs += runWorkload(w, Observe::Plain);
    }
    state.counters["ratio"] = plainNs / observedNs; // throughput observed / throughput plain
    const double sections = double(state.iterations()) * 2 * double(w.iterations);
    state.counters["plain_ns"] = plainNs / sections; // per critical section, the two workers together
    state.counters["observed_ns"] = observedNs / sections;
}
BENCHMARK_CAPTURE(BM_ObserverEffect, lock_contention, kLockContention, Observe::Recording)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_ObserverEffect, lock_contention_slowed_record, kLockContention, Observe::SlowedRecording)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_ObserverEffect, race_counter_mutex, kRaceCounterMutex, Observe::Recording)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_ObserverEffect, race_counter_mutex_timestamps_only, kRaceCounterMutex, Observe::TimestampsOnly)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);
BENCHMARK_CAPTURE(BM_ObserverEffect, race_counter_mutex_slowed_record, kRaceCounterMutex, Observe::SlowedRecording)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

// Sustained pipeline throughput: 2 workers record at a set rate (events/s, both together), paced by the
// tick counter, for half a second while the collector drains and builds spans on the same 2 cores.
// `kept_share` 1 means zero drops at that rate; `of_record_only` is the kept rate over what the two threads
// could record with nothing else running (two cores at Recorder::costPerEventNs() each, measured in this run).
void BM_Pipeline(benchmark::State& state)
{
    constexpr int kWorkers = 2;
    const double rate = double(state.range(0)) * 1e6;
    const auto perWorker = std::int64_t(rate * 0.5 / kWorkers);
    const double ticksPerEvent = 1e9 / (rate / kWorkers) / clock::nsPerTick();
    double kept = 0, offered = 0, seconds = 0;
    for (auto _ : state) {
        ParamSet noParams;
        RunContext ctx(noParams);
        Trace trace;
        Collector collector(
            ctx, trace, [](TraceBatchPtr) {}, BatchContent::SpansAndProgress);
        std::vector<std::uint32_t> ids;
        for (int i = 0; i < kWorkers; ++i)
            ids.push_back(ctx.addWorker(QStringLiteral("w%1").arg(i)));
        collector.start();
        const auto t0 = std::chrono::steady_clock::now();
        runWorkers(ctx, Backend::StdThread, ids, [&](std::uint32_t, Recorder& rec) {
            const std::uint64_t start = clock::ticks();
            for (std::int64_t i = 0; i < perWorker; ++i) {
                if (i % 64 == 0) // behind schedule: catch up at full speed; ahead: wait for the slot
                    while (double(clock::ticks() - start) < double(i) * ticksPerEvent)
                        _mm_pause();
                rec.record(i % 2 ? EventKind::LockReleased : EventKind::LockAcquired, 0, 1);
            }
        });
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        collector.finish();
        offered += double(kWorkers * perWorker);
        kept += double(kWorkers * perWorker) - double(trace.droppedEvents);
    }
    state.counters["events_per_s"] = offered / seconds;
    state.counters["kept_share"] = kept / offered;
    state.counters["of_record_only"] = kept / seconds / (kWorkers * 1e9 / Recorder::costPerEventNs());
}
BENCHMARK(BM_Pipeline)
    ->ArgName("million_per_s")
    ->Arg(10)
    ->Arg(20)
    ->Arg(40)
    ->Arg(80)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

// The busy run (race-counter, 8 workers x 1 M increments, lock=none: 16 M events in about a second)
// through the window's path: RunController, with the collector building spans for every batch. `kept_share`
// must be 1.
void BM_LiveBusyRun(benchmark::State& state)
{
    double kept = 0, offered = 0;
    for (auto _ : state) {
        RunController controller;
        ParamSet params(createScenario(QStringLiteral("race-counter"))->info().params);
        for (const char* a : { "workers=8", "increments=1000000", "lock=none" })
            params.assign(QString::fromLatin1(a), nullptr);
        QEventLoop loop;
        std::shared_ptr<const Trace> trace;
        QObject::connect(&controller, &RunController::batchReady, &loop, [](const TraceBatchPtr&) {});
        QObject::connect(&controller, &RunController::finished, &loop, [&](const RunOutcome& outcome) {
            trace = outcome.trace;
            loop.quit();
        });
        if (!controller.start(QStringLiteral("race-counter"), params)) {
            state.SkipWithError("race-counter did not start");
            return;
        }
        loop.exec();
        offered += double(trace->laneEventCount() + trace->droppedEvents);
        kept += double(trace->laneEventCount());
    }
    state.counters["events"] = offered / double(state.iterations());
    state.counters["kept_share"] = kept / offered;
}
BENCHMARK(BM_LiveBusyRun)->Unit(benchmark::kMillisecond)->Iterations(1)->Repetitions(3)->ReportAggregatesOnly(true);

} // namespace

int main(int argc, char** argv)
{
    return tl::bench::runBenchmarks(argc, argv,
        { { "BM_ReadTsc/threads:1", "BM_RecordEvent/threads:1",
              "record() / the floor (read the TSC and store it), 1 thread: goal <= 1.5", true },
            { "BM_ReadTsc/threads:1", "BM_RecordEventMonotonicClock",
                "sensitivity: record() on CLOCK_MONOTONIC / the floor (must be worse than the line above)", true },
            { "BM_RecordEvent/threads:1", "BM_RecordEventMutexBaseline/threads:1",
                "steady_clock + mutex + vector tracer / record(), 1 thread: goal >= 3", true },
            { "BM_RecordEvent/threads:2", "BM_RecordEventMutexBaseline/threads:2",
                "same, 2 threads, each with its own ring / own vector", true } });
}
