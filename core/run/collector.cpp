#include "collector.h"

#include "runcontext.h"

namespace tl {

Collector::Collector(RunContext& ctx, Trace& trace, BatchSink sink)
    : m_ctx(ctx)
    , m_trace(trace)
    , m_sink(std::move(sink))
{
}

Collector::~Collector()
{
    finish();
}

void Collector::start()
{
    m_trace.startNs = clock::monotonicNs();
    m_thread = std::thread([this] { loop(); });
}

void Collector::finish()
{
    if (!m_thread.joinable())
        return;
    {
        std::lock_guard lock(m_mutex);
        m_quit = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void Collector::loop()
{
    pthread_setname_np(pthread_self(), "tl-collector");
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, kTick, [this] { return m_quit; })) {
        lock.unlock();
        collect();
        lock.lock();
    }
    lock.unlock();
    collect(); // the workers have finished: this drain leaves every recorder empty
}

void Collector::collect()
{
    auto batch = std::make_shared<TraceBatch>();
    m_clock.calibrate();

    const auto recorders = m_ctx.recorders();
    m_trace.lanes.resize(recorders.size());
    std::uint64_t dropped = 0;
    for (Recorder* rec : recorders) {
        auto& lane = m_trace.lanes[rec->worker()];
        rec->drain([&](std::span<const Event> events) {
            const auto first = lane.size();
            lane.insert(lane.end(), events.begin(), events.end());
            for (auto i = first; i < lane.size(); ++i)
                lane[i].time = m_clock.toNs(std::uint64_t(lane[i].time));
            batch->events.insert(batch->events.end(), lane.begin() + std::ptrdiff_t(first), lane.end());
        });
        dropped += rec->dropped();
    }

    const std::int64_t now = clock::monotonicNs();
    const auto counters = m_ctx.sampleCounters();
    for (std::size_t c = 0; c < counters.size(); ++c) {
        const Event e { now, counters[c], std::uint32_t(c), 0, -1, EventKind::CounterSample };
        m_trace.counterSamples.push_back(e);
        batch->events.push_back(e);
    }

    m_totalEvents += batch->events.size();
    m_trace.workers = m_ctx.workers();
    m_trace.counterNames = m_ctx.counterNames();
    m_trace.lockNames = m_ctx.lockNames();
    m_trace.droppedEvents = dropped;
    m_trace.endNs = now;

    batch->workers = m_trace.workers;
    batch->counterNames = m_trace.counterNames;
    batch->lockNames = m_trace.lockNames;
    batch->droppedEvents = dropped;
    batch->totalEvents = m_totalEvents;
    batch->startNs = m_trace.startNs;
    batch->nowNs = now;
    batch->liveResults = m_ctx.liveResults();
    if (m_sink)
        m_sink(std::move(batch));
}

} // namespace tl
