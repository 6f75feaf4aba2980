#include "spans.h"

#include <algorithm>

namespace tl {

QString laneStateName(LaneState state)
{
    switch (state) {
    case LaneState::Running:
        return QStringLiteral("running");
    case LaneState::LockWait:
        return QStringLiteral("waiting for lock");
    case LaneState::LockHeldContended:
        return QStringLiteral("holding, others wait");
    case LaneState::LockHeld:
        return QStringLiteral("holding lock");
    case LaneState::Sleeping:
        return QStringLiteral("sleeping");
    case LaneState::IoWait:
        return QStringLiteral("I/O wait");
    case LaneState::Queued:
        return QStringLiteral("queued / no CPU");
    case LaneState::Unprotected:
        return QStringLiteral("unprotected section");
    case LaneState::NoData:
        return QStringLiteral("no data");
    }
    return {};
}

void SpanBuilder::enter(std::int64_t t, LaneState next, std::uint16_t lock, std::int16_t cpu)
{
    close(t);
    m_active = true;
    m_state = next;
    m_lock = lock;
    m_since = t;
    m_cpu = cpu;
}

void SpanBuilder::close(std::int64_t t)
{
    if (m_active && t > m_since)
        m_out->push_back({ m_since, t, m_lock, m_cpu, m_state });
    m_active = false;
}

bool SpanBuilder::openSpan(std::int64_t now, Span* span) const
{
    if (!m_active || now <= m_since)
        return false;
    *span = { m_since, now, m_lock, m_cpu, m_state };
    return true;
}

void SpanBuilder::add(const Event& e)
{
    const std::int64_t previous = m_last;
    m_last = e.time;
    // Running again means holding whatever lock is still held (nested holds), else plain running.
    auto resume = [&] {
        if (m_held.empty())
            enter(e.time, LaneState::Running, 0, eventCpu(e));
        else
            enter(e.time, LaneState::LockHeld, m_held.back(), eventCpu(e));
    };
    switch (e.kind) {
    case EventKind::Enqueued:
        enter(e.time, LaneState::Queued, 0, eventCpu(e));
        break;
    case EventKind::Started:
    case EventKind::Running:
        resume();
        break;
    case EventKind::LockWait:
        enter(e.time, LaneState::LockWait, e.lock, eventCpu(e));
        break;
    case EventKind::LockAcquired:
        if (e.value == 0) { // the "none" lock: a critical section nothing protects
            enter(e.time, LaneState::Unprotected, e.lock, eventCpu(e));
            break;
        }
        m_held.push_back(e.lock);
        enter(e.time, LaneState::LockHeld, e.lock, eventCpu(e));
        break;
    case EventKind::LockReleased:
        if (auto it = std::find(m_held.rbegin(), m_held.rend(), e.lock); it != m_held.rend())
            m_held.erase(std::next(it).base());
        resume();
        break;
    case EventKind::Sleeping:
        enter(e.time, LaneState::Sleeping, 0, eventCpu(e));
        break;
    case EventKind::IoWait:
        enter(e.time, LaneState::IoWait, 0, eventCpu(e));
        break;
    case EventKind::Finished:
        close(e.time);
        m_held.clear();
        break;
    case EventKind::Mark:
        m_marks->push_back({ e.time, e.value, e.kind });
        break;
    case EventKind::Exited: // the process is gone: nothing of it runs, sleeps or holds after this
        close(e.time);
        m_held.clear();
        m_marks->push_back({ e.time, e.value, e.kind });
        break;
    case EventKind::Lost: {
        // What happened after the previous event is unknown: its span ends there, a gap runs to now, and
        // the locks held are no longer known either.
        const std::int64_t from = previous == INT64_MIN ? e.time : std::min(previous, e.time);
        close(from);
        if (e.time > from)
            m_out->push_back({ from, e.time, 0, -1, LaneState::NoData });
        m_gaps->push_back({ from, e.time, std::uint64_t(e.value) });
        m_held.clear();
        break;
    }
    }
}

LaneSpans spansForLane(const ChunkedVector<Event>& events, std::int64_t endNs)
{
    // Built in a small buffer flushed into chunks, so the result is stored once, in pool memory.
    constexpr std::size_t kFlushAt = 4096;
    LaneSpans lane;
    std::vector<Span> buffer;
    buffer.reserve(kFlushAt + 2);
    SpanBuilder builder(buffer, lane.gaps, lane.marks);
    events.forEachPiece([&](std::span<const Event> piece) {
        for (const Event& e : piece) {
            builder.add(e);
            if (buffer.size() >= kFlushAt) {
                lane.spans.append(buffer);
                buffer.clear();
            }
        }
    });
    builder.finish(endNs);
    lane.spans.append(buffer);
    return lane;
}

void markContendedHolds(std::vector<LaneSpans>& lanes)
{
    // Per lock: every wait interval sorted by start, with a running maximum of the ends, so "did a wait
    // overlap [h0, h1)" is "is maxEnd over the waits starting before h1 greater than h0". Each lane's waits
    // and holds are already in time order, so the sorted list is a merge of sorted runs, and each lane walks
    // it with one forward-moving pointer: linear, no per-hold search.
    struct Waits {
        std::vector<std::pair<std::int64_t, std::int64_t>> intervals;
        std::vector<std::int64_t> maxEnds;
    };
    std::vector<Waits> byLock;
    for (const auto& lane : lanes) {
        std::vector<std::size_t> runStart(byLock.size());
        for (std::size_t l = 0; l < byLock.size(); ++l)
            runStart[l] = byLock[l].intervals.size();
        for (const Span& s : lane.spans) {
            if (s.state != LaneState::LockWait)
                continue;
            if (s.lock >= byLock.size()) {
                byLock.resize(s.lock + 1u);
                runStart.resize(s.lock + 1u, 0);
            }
            byLock[s.lock].intervals.emplace_back(s.start, s.end);
        }
        for (std::size_t l = 0; l < byLock.size(); ++l) {
            auto& v = byLock[l].intervals;
            std::inplace_merge(v.begin(), v.begin() + std::ptrdiff_t(runStart[l]), v.end());
        }
    }
    for (auto& w : byLock) {
        std::int64_t maxEnd = INT64_MIN;
        w.maxEnds.reserve(w.intervals.size());
        for (const auto& interval : w.intervals)
            w.maxEnds.push_back(maxEnd = std::max(maxEnd, interval.second));
    }
    for (auto& lane : lanes) {
        std::vector<std::size_t> cursor(byLock.size(), 0); // waits starting before the current hold's end
        for (std::size_t i = 0; i < lane.spans.size(); ++i) {
            Span& s = lane.spans[i];
            if (s.state != LaneState::LockHeld || s.lock >= byLock.size())
                continue;
            const auto& w = byLock[s.lock];
            std::size_t& k = cursor[s.lock];
            while (k < w.intervals.size() && w.intervals[k].first < s.end)
                ++k;
            if (k > 0 && w.maxEnds[k - 1] > s.start)
                s.state = LaneState::LockHeldContended;
        }
    }
}

std::vector<LaneSpans> buildSpans(const Trace& trace)
{
    std::vector<LaneSpans> lanes;
    lanes.reserve(trace.lanes.size());
    for (const auto& events : trace.lanes)
        lanes.push_back(spansForLane(events, trace.endNs));
    markContendedHolds(lanes);
    return lanes;
}

} // namespace tl
