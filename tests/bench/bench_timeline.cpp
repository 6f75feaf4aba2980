// Timeline painting and export at 1920x1080. Run: build/tests/bench/bench_timeline
#include "benchmain.h"

#include <models/livetimeline.h>
#include <timeline/timelineexport.h>
#include <timeline/timelinepainter.h>

#include <QBuffer>
#include <QImage>
#include <QPainter>
#include <benchmark/benchmark.h>
#include <chrono>
#include <ctime>
#include <random>

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

} // namespace

int main(int argc, char** argv)
{
    return tl::bench::runBenchmarks(argc, argv,
        { { "BM_PaintTimeline/1000000", "BM_PaintTimelineNaive/1000000",
            "level of detail vs every span drawn the same way (same row blit, no merging)", true } });
}
