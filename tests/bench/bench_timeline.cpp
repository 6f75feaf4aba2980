// Timeline painting and export at 1920x1080. Run: build/tests/bench/bench_timeline
#include "benchmain.h"

#include <models/livetimeline.h>
#include <scenarios/registry.h>
#include <session/run.h>
#include <timeline/timelineexport.h>
#include <timeline/timelinepainter.h>
#include <trace/prefaultedmemory.h>

#include <QBuffer>
#include <QImage>
#include <QPainter>
#include <benchmark/benchmark.h>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

using namespace tl;
using namespace tl::ui;

namespace {

constexpr int kLanes = 16;

// A lock-contention-like trace: each of 16 workers cycles wait → acquired → released with random gaps.
Trace syntheticTrace(std::int64_t events)
{
    Trace trace;
    trace.scenario = QStringLiteral("synthetic");
    trace.lockNames = { QString(), QStringLiteral("shared") };
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::int64_t> gap(50, 5000);
    const std::int64_t perLane = events / kLanes;
    for (int l = 0; l < kLanes; ++l) {
        trace.workers.push_back({ QStringLiteral("worker-%1").arg(l + 1), QStringLiteral("ThreadLab"), 1, l + 1 });
        ChunkedVector<Event> lane;
        std::int64_t t = 1000;
        lane.push_back({ t, 0, 0, 0, EventKind::Started });
        const EventKind cycle[] = { EventKind::LockWait, EventKind::LockAcquired, EventKind::LockReleased };
        for (std::int64_t i = 1; i < perLane - 1; ++i) {
            t += gap(rng);
            lane.push_back({ t, 1, 1, std::uint8_t(l % 2), cycle[i % 3] });
        }
        lane.push_back({ t + 100, 0, 0, 0, EventKind::Finished });
        trace.endNs = std::max(trace.endNs, t + 100);
        trace.lanes.push_back(std::move(lane));
    }
    return trace;
}

const TimelineData& timelineOf(std::int64_t events)
{
    static std::map<std::int64_t, TimelineData> cache;
    auto it = cache.find(events);
    if (it == cache.end())
        it = cache.emplace(events, TimelineData::fromTrace(syntheticTrace(events))).first;
    return it->second;
}

void paint(benchmark::State& state, bool lod)
{
    const TimelineData& data = timelineOf(state.range(0));
    QImage image(1920, 1080, QImage::Format_RGB32);
    TimelinePainter::Options options;
    options.lod = lod;
    for (auto _ : state) {
        QPainter p(&image);
        TimelinePainter::paint(p, QRectF(0, 0, 1920, 1080), data, data.startNs, data.endNs, options);
    }
    state.counters["spans"] = double(data.spanCount());
}

void BM_PaintTimeline(benchmark::State& state)
{
    paint(state, true);
}
void BM_PaintTimelineNaive(benchmark::State& state)
{
    paint(state, false);
}
BENCHMARK(BM_PaintTimeline)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(5)
    ->ReportAggregatesOnly(true);
BENCHMARK(BM_PaintTimelineNaive)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

// What `threadlab run ... --png` does after the run: spans from the trace, paint, PNG encode.
void BM_ExportPng(benchmark::State& state)
{
    const Trace trace = syntheticTrace(state.range(0));
    for (auto _ : state) {
        const TimelineData data = TimelineData::fromTrace(trace);
        QBuffer out;
        out.open(QIODevice::WriteOnly);
        exportTimeline(data, data.startNs, data.endNs, ImageFormat::Png, out, { QSize(1920, 1080), QString() });
        benchmark::DoNotOptimize(out.size());
    }
}
BENCHMARK(BM_ExportPng)->Arg(1'000'000)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

// The GUI thread's share of a live run: one collector batch of 16 workers' spans (built on the collector's
// thread) appended to the live timeline. At the collector's 20 ms tick, a batch of N events every 20 ms keeps
// the GUI thread busy ms/20 of the time: `gui_busy_at_50M_per_s` is that share at 50 M events/s.
void BM_LiveAppend(benchmark::State& state)
{
    const Trace trace = syntheticTrace(state.range(0));
    TraceBatch batch;
    auto lanes = buildSpans(trace);
    for (std::size_t w = 0; w < trace.workers.size(); ++w) {
        batch.workers.push_back(trace.workers[w]);
        LaneDelta delta;
        delta.spans.assign(lanes[w].spans.begin(), lanes[w].spans.end());
        batch.lanes.push_back(std::move(delta));
    }
    batch.startNs = trace.startNs;
    batch.nowNs = trace.endNs;
    // The GUI thread's own CPU time: what it spends, whatever else the machine runs.
    auto threadCpuSeconds = [] {
        timespec ts {};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
    };
    double seconds = 0;
    for (auto _ : state) {
        LiveTimeline live;
        live.reset(QStringLiteral("bench"), {});
        const double t0 = threadCpuSeconds();
        live.append(batch);
        seconds += threadCpuSeconds() - t0;
        benchmark::DoNotOptimize(live.data().lanes.size());
    }
    const double events = double(trace.laneEventCount());
    state.SetItemsProcessed(state.iterations() * std::int64_t(events));
    state.counters["gui_busy_at_50M_per_s"] = seconds / double(state.iterations()) / events * 50e6;
}
BENCHMARK(BM_LiveAppend)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Repetitions(3)
    ->ReportAggregatesOnly(true);

// The window's end of a run, on race-counter lock=none with 5 workers: from the moment the workers are done
// (the scenario returns) until Run is enabled again (the workers-done signal, queued behind the batches, is
// handled on the GUI thread), and until the timeline is final (LiveTimeline::finish, the batches having been
// appended on a thread of their own as the GUI thread does), against what building the spans again from the
// stored events costs on the same run (buildSpans + TimelineData::fromSpans, the path before the batches
// were kept).
// Also the run's peak RSS above what the process held before it, per stored event, and the events dropped.
std::int64_t statusKb(const char* field)
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field, 0) == 0)
            return std::stoll(line.substr(std::strlen(field)));
    return -1;
}

void BM_RunAvailable(benchmark::State& state)
{
    double availableMs = 0, rebuildMs = 0, peakMb = 0, bytesPerEvent = 0, dropped = 0;
    double workersMs = 0, collectorLagMs = 0, guiLagMs = 0, faultMs = 0, completeMs = 0;
    for (auto _ : state) {
        std::ofstream("/proc/self/clear_refs") << "5"; // the peak (VmHWM) starts again from now
        const std::int64_t rssBefore = statusKb("VmRSS:");
        auto scenario = createScenario(QStringLiteral("race-counter"));
        ParamSet params(scenario->info().params);
        for (const QString& a : { QStringLiteral("workers=5"), QStringLiteral("increments=%1").arg(state.range(0)),
                 QStringLiteral("lock=none") })
            params.assign(a, nullptr);
        Run run(std::make_unique<ScenarioSource>(std::move(scenario)), params);
        LiveTimeline live;
        live.reset(QStringLiteral("race-counter"), {});
        std::mutex mutex;
        std::condition_variable arrived;
        // The GUI thread's queue, in order as Qt's queued calls are: batches, and (a null batch) the
        // workers-done signal that enables Run, which RunController posts ahead of them.
        std::deque<TraceBatchPtr> queue;
        bool ended = false;
        std::int64_t runEnabled = 0;
        std::thread gui([&] {
            std::unique_lock lock(mutex);
            for (;;) {
                arrived.wait(lock, [&] { return ended || !queue.empty(); });
                if (queue.empty())
                    return;
                const TraceBatchPtr batch = std::move(queue.front());
                queue.pop_front();
                lock.unlock();
                if (batch)
                    live.append(*batch);
                else
                    runEnabled = clock::monotonicNs();
                lock.lock();
            }
        });
        run.setBatchSink([&](TraceBatchPtr batch) {
            std::lock_guard lock(mutex);
            queue.push_back(std::move(batch));
            arrived.notify_one();
        });
        run.setWorkersDoneHandler([&] {
            std::lock_guard lock(mutex);
            queue.push_front(nullptr);
            arrived.notify_one();
        });
        const RunOutcome outcome = run.execute();
        const std::int64_t workersDone = outcome.trace->startNs + outcome.durationNs;
        const std::int64_t drained = clock::monotonicNs(); // the collector's last batch is out
        {
            std::lock_guard lock(mutex);
            ended = true;
        }
        arrived.notify_one();
        gui.join();
        const std::int64_t appended = clock::monotonicNs(); // the GUI thread has appended it
        live.finish(*outcome.trace);
        availableMs += double(runEnabled - workersDone) / 1e6;
        completeMs += double(clock::monotonicNs() - workersDone) / 1e6;
        workersMs += double(outcome.durationNs) / 1e6;
        collectorLagMs += double(drained - workersDone) / 1e6;
        guiLagMs += double(appended - drained) / 1e6;
        const std::int64_t peakKb = statusKb("VmHWM:"); // the run's, before the rebuild below adds its own
        const std::size_t runBytes = std::size_t(std::max<std::int64_t>(peakKb - rssBefore, 0)) * 1024;
        peakMb += double(peakKb) / 1024.0;
        bytesPerEvent += double(runBytes) / double(outcome.trace->laneEventCount());
        dropped += double(outcome.trace->droppedEvents);
        const std::int64_t t0 = clock::monotonicNs();
        const TimelineData rebuilt = TimelineData::fromSpans(*outcome.trace, buildSpans(*outcome.trace));
        benchmark::DoNotOptimize(rebuilt.lanes.size());
        rebuildMs += double(clock::monotonicNs() - t0) / 1e6;
        // The floor under all of it: the kernel faulting in as much fresh memory as the run's peak took.
        const std::int64_t f0 = clock::monotonicNs();
        void* memory = allocatePrefaulted(runBytes);
        faultMs += double(clock::monotonicNs() - f0) / 1e6;
        freePrefaulted(memory, runBytes);
    }
    const double n = double(state.iterations());
    // Run enabled again (the workers-done signal reached the GUI thread behind the batches before it)...
    state.counters["available_ms"] = availableMs / n;
    // ...and the picture complete, which the status bar counts down meanwhile. Where complete_ms goes: the
    // collector's drain behind the workers, then the GUI thread's appends.
    state.counters["complete_ms"] = completeMs / n;
    state.counters["workers_ms"] = workersMs / n;
    state.counters["collector_lag_ms"] = collectorLagMs / n;
    state.counters["gui_lag_ms"] = guiLagMs / n;
    state.counters["fault_in_peak_ms"] = faultMs / n;
    state.counters["rebuild_ms"] = rebuildMs / n;
    state.counters["rebuild_over_complete"] = rebuildMs / std::max(completeMs, 1e-3);
    state.counters["peak_rss_mb"] = peakMb / n;
    state.counters["bytes_per_event"] = bytesPerEvent / n;
    state.counters["dropped"] = dropped / n;
}
BENCHMARK(BM_RunAvailable)->Arg(2'000'000)->Arg(10'000'000)->Iterations(1)->Unit(benchmark::kSecond);

} // namespace

int main(int argc, char** argv)
{
    return tl::bench::runBenchmarks(argc, argv,
        { { "BM_PaintTimeline/1000000", "BM_PaintTimelineNaive/1000000",
            "level of detail vs every span drawn the same way (same row blit, no merging)", true } });
}
