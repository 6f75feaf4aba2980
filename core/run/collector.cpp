#include "collector.h"

#include "runcontext.h"

namespace tl {

Collector::Collector(RunContext& ctx, Trace& trace, BatchSink sink, BatchContent content)
    : m_ctx(ctx)
    , m_trace(trace)
    , m_sink(std::move(sink))
    , m_content(content)
{
}

Collector::~Collector()
{
    finish();
}

void Collector::start()
{
    m_trace.startNs = clock::monotonicNs();
    m_thread
        = std::thread([this] { repeatUntilStopped("tl-collector", kTick, m_stopCollecting, [this] { collect(); }); });
    m_sampler = std::thread(
        [this] { repeatUntilStopped("tl-sampler", kSampleEvery, m_stopSampling, [this] { sampleCounters(); }); });
}

void Collector::finish()
{
    if (!m_thread.joinable())
        return;
    // The sampler first: its last samples must be in place before the collector's final drain takes them.
    stopAndJoin(m_sampler, m_stopSampling);
    stopAndJoin(m_thread, m_stopCollecting);
}

void Collector::stopAndJoin(std::thread& thread, bool& stop)
{
    {
        std::lock_guard lock(m_mutex);
        stop = true;
    }
    m_wake.notify_all();
    thread.join();
}

void Collector::repeatUntilStopped(
    const char* threadName, std::chrono::milliseconds period, const bool& stop, const std::function<void()>& action)
{
    pthread_setname_np(pthread_self(), threadName);
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, period, [&] { return stop; })) {
        lock.unlock();
        action();
        lock.lock();
    }
    lock.unlock();
    action(); // once more after the stop: the workers have finished, so this one leaves nothing behind
}

void Collector::sampleCounters()
{
    const std::int64_t now = clock::monotonicNs();
    const auto values = m_ctx.sampleCounters();
    std::lock_guard lock(m_samplesMutex);
    for (std::size_t c = 0; c < values.size(); ++c)
        m_pendingSamples.push_back({ now, values[c], std::uint32_t(c), 0, -1, EventKind::CounterSample });
}

void Collector::collect()
{
    auto batch = std::make_shared<TraceBatch>();
    m_clock.calibrate();

    const auto recorders = m_ctx.recorders();
    m_trace.lanes.resize(recorders.size());
    std::uint64_t dropped = 0;
    std::uint64_t stored = 0;
    for (Recorder* rec : recorders) {
        auto& lane = m_trace.lanes[rec->worker()];
        const std::size_t first = lane.size();
        // One pass: copy out of the ring and convert ticks to ns (the collector competes with the workers
        // for CPU, so every pass over millions of events shows up as lateness and, at worst, drops).
        rec->drain([&](std::span<const Event> events) {
            for (Event e : events) {
                e.time = m_clock.toNs(std::uint64_t(e.time));
                lane.push_back(e);
            }
        });
        if (m_content == BatchContent::EventsAndProgress)
            batch->events.insert(batch->events.end(), lane.begin() + std::ptrdiff_t(first), lane.end());
        stored += lane.size() - first;
        dropped += rec->dropped();
    }

    const std::int64_t now = clock::monotonicNs();
    std::vector<Event> samples;
    {
        std::lock_guard lock(m_samplesMutex);
        samples.swap(m_pendingSamples);
    }
    m_trace.counterSamples.insert(m_trace.counterSamples.end(), samples.begin(), samples.end());
    if (m_content == BatchContent::EventsAndProgress)
        batch->events.insert(batch->events.end(), samples.begin(), samples.end());

    m_totalEvents += stored + samples.size();
    m_trace.workers = m_ctx.workers();
    m_trace.counterNames = m_ctx.counterNames();
    m_trace.lockNames = m_ctx.lockNames();
    m_trace.droppedEvents = dropped;
    m_trace.endNs = now;

    batch->workers = m_trace.workers;
    batch->processes = m_ctx.processes();
    batch->counterNames = m_trace.counterNames;
    batch->lockNames = m_trace.lockNames;
    batch->droppedEvents = dropped;
    batch->totalEvents = m_totalEvents;
    batch->startNs = m_trace.startNs;
    batch->nowNs = now;
    batch->liveResults = m_ctx.liveResults();
    batch->locks = m_ctx.lockRegistry().snapshot(m_ctx.workerCount());
    if (m_sink)
        m_sink(std::move(batch));
}

} // namespace tl
