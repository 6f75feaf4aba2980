// Trace export size and speed: Chrome JSON and Perfetto protobuf at 1 M and 10 M events, each against
// writing the same events raw (16 bytes each) to the same sink in the same run. Run: build/tests/bench/bench_export
#include "benchmain.h"

#include <trace/exporters.h>
#include <trace/perfetto.h>
#include <trace/spans.h>

#include <QIODevice>
#include <benchmark/benchmark.h>
#include <map>
#include <memory>
#include <random>

using namespace tl;

namespace {

// Keeps nothing and counts what it was given: the benchmark measures the exporter, not the disk.
class CountingSink : public QIODevice {
public:
    CountingSink() { open(QIODevice::WriteOnly); }
    qint64 written = 0;

protected:
    qint64 readData(char*, qint64) override { return -1; }
    qint64 writeData(const char*, qint64 len) override
    {
        written += len;
        return len;
    }
};

// A mutex race-counter-like run: 8 workers, each increment a wait → acquire → release, a loss of events now
// and then, a mark every 1000 events and a counter sampled every 20 ms, ~2 s long at 10 M events.
std::unique_ptr<Trace> syntheticRun(std::int64_t events)
{
    constexpr int kWorkers = 8;
    auto trace = std::make_unique<Trace>();
    trace->scenario = QStringLiteral("synthetic race-counter");
    trace->lockNames = { QString(), QStringLiteral("counter") };
    trace->counterNames = { QStringLiteral("actual") };
    trace->startNs = 1'000'000'000'000; // a machine up for a quarter of an hour, in CLOCK_MONOTONIC ns
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int64_t> step(20, 600);
    std::uniform_int_distribution<int> lossAfter(0, 200'000);
    const EventKind cycle[] = { EventKind::LockWait, EventKind::LockAcquired, EventKind::LockReleased };
    for (int w = 0; w < kWorkers; ++w) {
        trace->workers.push_back({ QStringLiteral("worker-%1").arg(w + 1), QStringLiteral("ThreadLab"), 4242, 0 });
        ChunkedVector<Event> lane;
        std::int64_t t = trace->startNs + 10'000;
        lane.push_back({ t, 0, 0, std::uint8_t(w % 2), EventKind::Started });
        for (std::int64_t i = 1; i < events / kWorkers - 1; ++i) {
            t += step(rng);
            if (lossAfter(rng) == 0)
                lane.push_back({ t, 512, 0, kUnknownCpu, EventKind::Lost });
            else if (i % 1000 == 0)
                lane.push_back({ t, std::int32_t(i / 1000), 0, std::uint8_t(w % 2), EventKind::Mark });
            else
                lane.push_back({ t, 1, 1, std::uint8_t(w % 2), cycle[i % 3] });
        }
        lane.push_back({ t + 100, 0, 0, std::uint8_t(w % 2), EventKind::Finished });
        trace->endNs = std::max(trace->endNs, t + 100);
        trace->lanes.push_back(std::move(lane));
    }
    for (std::int64_t t = trace->startNs; t < trace->endNs; t += 20'000'000)
        trace->counterSamples.push_back({ t, (t - trace->startNs) / 1000, 0 });
    return trace;
}

const Trace& runOf(std::int64_t events)
{
    static std::map<std::int64_t, std::unique_ptr<Trace>> cache;
    auto& trace = cache[events];
    if (!trace)
        trace = syntheticRun(events);
    return *trace;
}

void report(benchmark::State& state, const Trace& trace, qint64 bytes)
{
    const double events = double(trace.eventCount());
    state.counters["bytes_per_event"] = double(bytes) / events;
    state.counters["MB"] = double(bytes) / 1e6;
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(events));
}

// Baseline: the events as they are stored, 16 bytes each, through the exporters' own buffered writer.
void BM_RawEvents(benchmark::State& state)
{
    const Trace& trace = runOf(state.range(0));
    qint64 bytes = 0;
    for (auto _ : state) {
        CountingSink sink;
        {
            ExportWriter w(sink);
            for (const auto& lane : trace.lanes)
                lane.forEachPiece([&](std::span<const Event> piece) {
                    w << std::string_view(reinterpret_cast<const char*>(piece.data()), piece.size_bytes());
                });
            w.flush();
        }
        bytes = sink.written;
    }
    report(state, trace, bytes);
}

// What both exporters do first: the lanes' events into state spans. The rest of their time is the writing.
void BM_BuildSpans(benchmark::State& state)
{
    const Trace& trace = runOf(state.range(0));
    for (auto _ : state)
        benchmark::DoNotOptimize(buildSpans(trace).size());
    state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(trace.eventCount()));
}

// One exporter, Chrome JSON or Perfetto, into the sink that keeps nothing.
void BM_Export(benchmark::State& state, bool (*write)(const Trace&, QIODevice&))
{
    const Trace& trace = runOf(state.range(0));
    qint64 bytes = 0;
    for (auto _ : state) {
        CountingSink sink;
        benchmark::DoNotOptimize(write(trace, sink));
        bytes = sink.written;
    }
    report(state, trace, bytes);
}

} // namespace

// 1 M and 10 M events, median of three; the exports are long enough to time one run each.
void sizes(benchmark::internal::Benchmark* b)
{
    b->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMillisecond)->Repetitions(3)->ReportAggregatesOnly(true);
}

BENCHMARK(BM_RawEvents)->Apply(sizes);
BENCHMARK(BM_BuildSpans)->Apply(sizes)->Iterations(1);
BENCHMARK_CAPTURE(BM_Export, ChromeJson, writeChromeTrace)->Apply(sizes)->Iterations(1);
BENCHMARK_CAPTURE(BM_Export, Perfetto, writePerfettoTrace)->Apply(sizes)->Iterations(1);

int main(int argc, char** argv)
{
    // Each ratio is how many times the raw write of the same events the export takes (ratio = baseline /
    // subject, so the raw write is the subject here), and Perfetto against the JSON. CPU time: the writing is
    // one thread's work into a sink that keeps nothing, and a loaded machine should not change the figures.
    return tl::bench::runBenchmarks(argc, argv,
        { { "BM_RawEvents/1000000", "BM_Export/ChromeJson/1000000", "Chrome JSON's time in raw writes, 1 M events",
              true },
            { "BM_RawEvents/1000000", "BM_Export/Perfetto/1000000", "Perfetto's time in raw writes, 1 M events", true },
            { "BM_RawEvents/10000000", "BM_Export/ChromeJson/10000000", "Chrome JSON's time in raw writes, 10 M events",
                true },
            { "BM_RawEvents/10000000", "BM_Export/Perfetto/10000000", "Perfetto's time in raw writes, 10 M events",
                true },
            { "BM_Export/Perfetto/10000000", "BM_Export/ChromeJson/10000000",
                "JSON's time over Perfetto's, 10 M events", true },
            { "BM_BuildSpans/10000000", "BM_Export/Perfetto/10000000", "Perfetto's time over its span building, 10 M",
                true } });
}
