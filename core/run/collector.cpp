#include "collector.h"

#include "runcontext.h"

#include <algorithm>
#include <climits>

namespace tl {

namespace {
std::int64_t sliceNs()
{
    const int forced = qEnvironmentVariableIntValue("THREADLAB_SLICE_NS"); // read once, not per tick
    return forced > 0 ? forced : Collector::kSliceNs;
}
}

Collector::Collector(RunContext& ctx, Trace& trace, BatchSink sink, BatchContent content)
    : m_ctx(ctx)
    , m_trace(trace)
    , m_sink(std::move(sink))
    , m_content(content)
    , m_sliceNs(sliceNs())
{
}

Collector::~Collector()
{
    finish();
}

void Collector::start()
{
    m_trace.startNs = clock::monotonicNs();
    m_trace.tickSource = QString::fromLatin1(clock::tickSourceName(clock::tickSource()));
    m_thread = std::thread([this] {
        repeatUntilStopped("tl-collector", kTick, m_stopCollecting, [this](bool last) {
            if (last)
                complete();
            else
                collect(false);
        });
    });
    m_sampler = std::thread(
        [this] { repeatUntilStopped("tl-sampler", kSampleEvery, m_stopSampling, [this](bool) { sampleCounters(); }); });
}

void Collector::finish(std::int64_t runEndNs)
{
    if (!m_thread.joinable())
        return;
    m_runEndNs = runEndNs > 0 ? runEndNs : clock::monotonicNs(); // the collector's thread reads it after the stop
    // The sampler first: its last samples must be in place before the collector's final drain takes them.
    stopAndJoin(m_sampler, m_stopSampling);
    stopAndJoin(m_thread, m_stopCollecting);
}

void Collector::stopAndJoin(std::thread& thread, bool& stop)
{
    if (!thread.joinable())
        return; // it could not be started
    {
        std::lock_guard lock(m_mutex);
        stop = true;
    }
    m_wake.notify_all();
    thread.join();
}

void Collector::repeatUntilStopped(const char* threadName, std::chrono::milliseconds period, const bool& stop,
    const std::function<void(bool last)>& action)
{
    pthread_setname_np(pthread_self(), threadName);
    // Out of memory here would end ThreadLab (std::terminate) with the run's shared memory in place: the
    // run fails instead, and this thread waits for its stop.
    const auto attempt = [&](bool last) {
        try {
            action(last);
            return true;
        } catch (const std::exception& e) {
            m_ctx.failFromOwnThread(
                [&] { return QStringLiteral("%1 gave up: %2").arg(QLatin1StringView(threadName), failureText(e)); });
            return false;
        }
    };
    bool working = true;
    std::unique_lock lock(m_mutex);
    while (!m_wake.wait_for(lock, period, [&] { return stop; })) {
        lock.unlock();
        working = working && attempt(false);
        lock.lock();
    }
    lock.unlock();
    if (working)
        attempt(true); // once more after the stop: the workers have finished, so this one leaves nothing behind
}

void Collector::sampleCounters()
{
    const std::int64_t now = clock::monotonicNs();
    const auto values = m_ctx.sampleCounters();
    std::lock_guard lock(m_samplesMutex);
    for (std::size_t c = 0; c < values.size(); ++c)
        m_pendingSamples.push_back({ now, values[c], std::uint32_t(c) });
}

std::shared_ptr<TraceBatch> Collector::SpanVectors::newBatch(std::size_t lanes)
{
    std::shared_ptr<TraceBatch> batch(
        new TraceBatch, [pool = shared_from_this()](TraceBatch* done) { pool->giveBack(*done), delete done; });
    batch->lanes.resize(lanes);
    std::lock_guard lock(m_mutex);
    for (LaneDelta& lane : batch->lanes) {
        if (m_free.empty())
            break;
        lane.spans = std::move(m_free.back());
        m_free.pop_back();
    }
    return batch;
}

void Collector::SpanVectors::giveBack(TraceBatch& done)
{
    // A few batches' worth are kept: the sink holds only the newest ones for long.
    std::lock_guard lock(m_mutex);
    for (LaneDelta& lane : done.lanes)
        if (m_free.size() < 4 * done.lanes.size() && lane.spans.capacity() > 0) {
            lane.spans.clear();
            m_free.push_back(std::move(lane.spans));
        }
}

void Collector::complete()
{
    // Each pass drains a slice and publishes it; one that stores nothing while events remain would loop.
    for (std::uint64_t pending = pendingEvents(); pending > 0 && !m_ctx.discarded();) {
        collect(false);
        const std::uint64_t left = pendingEvents();
        if (left >= pending)
            break;
        pending = left;
    }
    if (!m_ctx.discarded())
        collect(true);
}

std::int64_t Collector::runEnd() const
{
    std::int64_t end = m_runEndNs > 0 ? m_runEndNs : clock::monotonicNs();
    for (const LaneFeed& feed : m_feeds) // a record stamped as the workers were joined
        end = std::max(end, feed.last);
    return end;
}

std::uint64_t Collector::pendingEvents() const
{
    std::uint64_t pending = 0;
    for (const Recorder* rec : m_ctx.recorders())
        pending += rec->pending();
    return pending;
}

void Collector::collect(bool last)
{
    const auto recorders = m_ctx.recorders();
    const bool spans = m_sink && m_content == BatchContent::SpansAndProgress;
    auto batch = spans ? m_spanVectors->newBatch(recorders.size()) : std::make_shared<TraceBatch>();
    m_clock.calibrate();
    m_trace.lanes.resize(recorders.size());
    if (spans) {
        while (m_builders.size() < recorders.size())
            m_builders.push_back(std::make_unique<SpanBuilder>(
                batch->lanes.front().spans, batch->lanes.front().gaps, batch->lanes.front().marks));
    }
    const std::uint64_t knownUntil = readSwitchRecords(recorders.size());
    std::uint64_t drainBefore = last ? UINT64_MAX : knownUntil;
    // No further than a slice past the oldest event still waiting (see kSliceNs): unless a fixed ring (a
    // child's, a traced program's thread's) is a quarter full. Those cannot grow: paced at a slice per
    // tick, the collector would fall behind a busy one for good, and its writer would drop what it records.
    std::uint64_t oldest = UINT64_MAX;
    bool ringFilling = false;
    for (const Recorder* rec : recorders) {
        oldest = std::min(oldest, rec->oldestPendingTicks());
        ringFilling = ringFilling || (rec->capacity() > 0 && rec->pending() * 4 >= rec->capacity());
    }
    if (!last && oldest != UINT64_MAX && !ringFilling)
        drainBefore = std::min(drainBefore, oldest + std::uint64_t(double(m_sliceNs) / clock::nsPerTick()));
    // Switch records older than this go into their lanes even if the worker has recorded nothing since
    // (a long computation, a long sleep), so the live view does not wait for the worker's next event; but
    // none later than the events drained, which they would otherwise precede in the lane.
    const std::int64_t switchesUntil
        = last ? INT64_MAX : std::min(clock::monotonicNs() - kSwitchesSettleNs, m_clock.toNs(drainBefore));
    DrainTotals totals;
    for (Recorder* rec : recorders) {
        const std::uint32_t w = rec->worker();
        SpanBuilder* builder = nullptr;
        if (spans) {
            LaneDelta& delta = batch->lanes[w];
            builder = m_builders[w].get();
            builder->retarget(delta.spans, delta.gaps, delta.marks);
        }
        const std::size_t before = m_trace.lanes[w].size();
        drainLane(*rec, builder, drainBefore, switchesUntil);
        if (last)
            closeUnmarkedLoss(*rec, builder);
        const std::uint64_t droppedNow = rec->dropped() + m_feeds[w].lost;
        noteLosses(w, before, droppedNow);
        totals.stored += m_trace.lanes[w].size() - before;
        totals.dropped += droppedNow;
        batch->pendingEvents += rec->pending();
        totals.oldestPendingTicks = std::min(totals.oldestPendingTicks, rec->oldestPendingTicks());
    }

    std::int64_t now = clock::monotonicNs();
    if (totals.oldestPendingTicks != UINT64_MAX)
        batch->lagNs = std::max<std::int64_t>(0, now - m_clock.toNs(totals.oldestPendingTicks));
    if (last) // the run ended with its workers, not when the collector caught up with them
        now = runEnd();
    // Spans still in progress are shown up to where every lane is drained, not to now: a collector behind
    // the workers does not know yet what they did after that.
    if (spans)
        closeSpans(*batch, recorders.size(), last, last ? now : std::min(now, m_clock.toNs(drainBefore)));
    {
        std::lock_guard lock(m_samplesMutex);
        batch->samples.swap(m_pendingSamples);
    }
    m_trace.counterSamples.insert(m_trace.counterSamples.end(), batch->samples.begin(), batch->samples.end());
    m_laneEvents += totals.stored;
    m_totalEvents += totals.stored + batch->samples.size();
    updateTrace(last, now, totals.dropped);
    fillBatch(*batch, now, totals.dropped);
    if (m_sink)
        m_sink(std::move(batch));
}

std::uint64_t Collector::readSwitchRecords(std::size_t lanes)
{
    // The kernel's switch records, read into each lane's feed in the order contextSwitches() promises. They
    // are known up to the moment of reading; so every lane's ring is drained only up to a little before
    // that moment (the margin covers a record the kernel is still writing), and no event is stored before
    // the switch records that precede it are. Every lane, not only those followed so far: a thread that
    // binds to its lane after the list was taken records events its switch records (read next time) precede.
    // Once the workers are done, nothing is left to wait for.
    std::size_t left = 0;
    const auto switches = m_ctx.contextSwitches(&left);
    const std::uint64_t knownUntil = clock::ticks() - std::uint64_t(kSwitchMarginNs / clock::nsPerTick());
    if (m_feeds.size() < lanes)
        m_feeds.resize(lanes);
    for (const auto& [worker, source] : switches) {
        if (m_feeds.size() <= worker)
            m_feeds.resize(worker + 1);
        LaneFeed& feed = m_feeds[worker];
        const std::uint64_t lostBefore = source->lost();
        source->read(feed.switches);
        feed.lost += source->lost() - lostBefore;
    }
    // A lane's old and new thread each come in time order, the old one first (stopped when replaced); this
    // keeps a merge by time right whatever the kernel's timing.
    for (LaneFeed& feed : m_feeds) {
        const auto byTime = [](const Event& a, const Event& b) { return a.time < b.time; };
        const auto from = feed.switches.begin() + std::ptrdiff_t(feed.next);
        if (!std::is_sorted(from, feed.switches.end(), byTime))
            std::stable_sort(from, feed.switches.end(), byTime);
    }
    m_ctx.forgetLeftSwitches(left);
    return knownUntil;
}

void Collector::drainLane(Recorder& rec, SpanBuilder* builder, std::uint64_t drainBefore, std::int64_t switchesUntil)
{
    auto& lane = m_trace.lanes[rec.worker()];
    LaneFeed& feed = m_feeds[rec.worker()];
    // The kernel's switch records are merged in by time: each goes in just before the first of the worker's
    // own events that is later. Those later than all of them stay for the next drain, unless they are
    // settled or this is the last drain.
    auto storeSwitchesBefore = [&](std::int64_t t) {
        while (feed.next < feed.switches.size() && feed.switches[feed.next].time < t) {
            storeInLane(rec.worker(), feed.switches[feed.next++], builder);
        }
    };
    auto nextSwitch = [&] { return feed.next < feed.switches.size() ? feed.switches[feed.next].time : INT64_MAX; };
    std::int64_t switchAt = nextSwitch();
    // One pass straight into the lane's chunk: convert, store, build spans (the collector competes with the
    // workers for CPU, so every extra pass over millions of events shows up as lateness and drops).
    rec.drainBefore(drainBefore, [&](std::span<const Event> events) {
        while (!events.empty()) {
            const std::span<Event> room = lane.tail(events.size());
            std::size_t i = 0;
            std::int64_t t = 0;
            for (; i < room.size(); ++i) {
                // The ring's lines were just written on the worker's core: ask for several ahead, so the
                // cross-core transfers overlap instead of stalling one after another.
                __builtin_prefetch(events.data() + std::min(i + 32, events.size() - 1));
                // The time read from the ring, not from the copy: GCC then keeps the copy out of the call's
                // way (34 instructions an event, as when this loop was inline in collect(), not 36).
                t = std::max(m_clock.toNs(std::uint64_t(events[i].time)), feed.last);
                Event e = events[i];
                if (t > switchAt)
                    break;
                e.time = feed.last = t;
                room[i] = e;
                if (builder)
                    builder->add(e);
            }
            lane.commit(i);
            events = events.subspan(i);
            if (!events.empty()) { // a switch record comes before events[0]
                storeSwitchesBefore(t);
                switchAt = nextSwitch();
            }
        }
    });
    storeSwitchesBefore(switchesUntil);
    if (feed.next == feed.switches.size() || feed.next > 4096) {
        feed.switches.erase(feed.switches.begin(), feed.switches.begin() + std::ptrdiff_t(feed.next));
        feed.next = 0;
    }
}

void Collector::storeInLane(std::uint32_t worker, Event e, SpanBuilder* builder)
{
    LaneFeed& feed = m_feeds[worker];
    e.time = std::max(e.time, feed.last);
    feed.last = e.time;
    m_trace.lanes[worker].push_back(e);
    if (builder)
        builder->add(e);
}

void Collector::closeUnmarkedLoss(Recorder& rec, SpanBuilder* builder)
{
    // The worker never recorded again: the loss ends with the last event it could not record (its Finished,
    // if that was lost), not at the run's end, so the lane ends where the thread did.
    if (const std::uint64_t lost = rec.unmarkedLost(); lost > 0)
        storeInLane(rec.worker(),
            { m_clock.toNs(rec.lastDroppedTicks()), std::int32_t(std::min<std::uint64_t>(lost, INT32_MAX)), 0,
                kUnknownCpu, EventKind::Lost },
            builder);
}

void Collector::noteLosses(std::uint32_t worker, std::size_t storedFrom, std::uint64_t droppedNow)
{
    // Only a lane with losses its Lost events do not yet account for can have stored new ones (a ring marks
    // a loss with the worker's next event, often a drain later): look for them then, and note them.
    LaneFeed& feed = m_feeds[worker];
    if (feed.lossesNoted >= droppedNow)
        return;
    const auto& lane = m_trace.lanes[worker];
    for (std::size_t i = storedFrom; i < lane.size(); ++i)
        if (lane[i].kind == EventKind::Lost) {
            m_trace.losses.push_back(
                { worker, lane[i].time, std::uint64_t(lane[i].value), lane[i].lock == kLostSwitchRecords });
            feed.lossesNoted += std::uint64_t(lane[i].value);
        }
}

void Collector::closeSpans(TraceBatch& batch, std::size_t lanes, bool last, std::int64_t until)
{
    for (std::size_t w = 0; w < lanes; ++w) {
        // The last batch closes every lane as spansForLane(lane, endNs) would: the spans the batches carried
        // are then the run's whole timeline, with no second pass over its events at the end.
        if (last)
            m_builders[w]->finish(until);
        else
            batch.lanes[w].hasOpen = m_builders[w]->openSpan(until, &batch.lanes[w].open);
    }
}

void Collector::updateTrace(bool last, std::int64_t now, std::uint64_t dropped)
{
    m_trace.workers = m_ctx.workers();
    m_trace.counterNames = m_ctx.counterNames();
    m_trace.lockNames = m_ctx.lockNames();
    m_trace.phases = m_ctx.phases();
    if (last && !m_trace.phases.empty() && m_trace.phases.back().end == INT64_MAX)
        m_trace.phases.back().end = now; // a phase still open when the run ended ends with it
    m_trace.droppedEvents = dropped;
    m_trace.endNs = now;
    m_trace.recordingBudgetBytes = m_ctx.recordingBudget().bytes();
    m_trace.recordingBudgetSpentNs = m_ctx.recordingBudget().spentAtNs();
}

void Collector::fillBatch(TraceBatch& batch, std::int64_t now, std::uint64_t dropped) const
{
    batch.workers = m_trace.workers;
    batch.processes = m_ctx.processes();
    batch.counterNames = m_trace.counterNames;
    batch.lockNames = m_trace.lockNames;
    batch.phases = m_trace.phases;
    batch.droppedEvents = dropped;
    batch.totalEvents = m_totalEvents;
    batch.laneEvents = m_laneEvents;
    batch.workerNs = m_trace.workerTimeNs();
    batch.startNs = m_trace.startNs;
    batch.nowNs = now;
    batch.liveResults = m_ctx.liveResults();
    batch.locks = m_ctx.lockRegistry().snapshot(m_ctx.workerCount());
}

} // namespace tl
