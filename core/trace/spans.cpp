#include "spans.h"

#include <algorithm>
#include <map>

namespace tl {

QString laneStateName(LaneState state)
{
    switch (state) {
    case LaneState::Running: return QStringLiteral("running");
    case LaneState::LockWait: return QStringLiteral("waiting for lock");
    case LaneState::LockHeldContended: return QStringLiteral("holding, others wait");
    case LaneState::LockHeld: return QStringLiteral("holding lock");
    case LaneState::Sleeping: return QStringLiteral("sleeping");
    case LaneState::IoWait: return QStringLiteral("I/O wait");
    case LaneState::Queued: return QStringLiteral("queued");
    case LaneState::Unprotected: return QStringLiteral("unprotected section");
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
    // Running again means holding whatever lock is still held (nested holds), else plain running.
    auto resume = [&] {
        if (m_held.empty())
            enter(e.time, LaneState::Running, 0, e.cpu);
        else
            enter(e.time, LaneState::LockHeld, m_held.back(), e.cpu);
    };
    switch (e.kind) {
    case EventKind::Enqueued: enter(e.time, LaneState::Queued, 0, e.cpu); break;
    case EventKind::Started:
    case EventKind::Running: resume(); break;
    case EventKind::LockWait: enter(e.time, LaneState::LockWait, e.lock, e.cpu); break;
    case EventKind::LockAcquired:
        if (e.value == 0) { // the "none" lock: a critical section nothing protects
            enter(e.time, LaneState::Unprotected, e.lock, e.cpu);
            break;
        }
        m_held.push_back(e.lock);
        enter(e.time, LaneState::LockHeld, e.lock, e.cpu);
        break;
    case EventKind::LockReleased:
        if (auto it = std::find(m_held.rbegin(), m_held.rend(), e.lock); it != m_held.rend())
            m_held.erase(std::next(it).base());
        resume();
        break;
    case EventKind::Sleeping: enter(e.time, LaneState::Sleeping, 0, e.cpu); break;
    case EventKind::IoWait: enter(e.time, LaneState::IoWait, 0, e.cpu); break;
    case EventKind::Finished:
        close(e.time);
        m_held.clear();
        break;
    case EventKind::CounterSample:
    case EventKind::Mark: break;
    }
}

std::vector<Span> spansForLane(const std::vector<Event>& events, std::int64_t endNs)
{
    std::vector<Span> spans;
    spans.reserve(events.size());
    SpanBuilder builder(spans);
    for (const Event& e : events)
        builder.add(e);
    builder.finish(endNs);
    return spans;
}

void markContendedHolds(std::vector<std::vector<Span>>& lanes)
{
    // Per lock: wait intervals sorted by start, with a running maximum of their ends, so "did any wait
    // overlap [h0, h1)" is one binary search.
    struct Waits {
        std::vector<std::int64_t> starts;
        std::vector<std::int64_t> maxEnds;
    };
    std::map<std::uint16_t, std::vector<std::pair<std::int64_t, std::int64_t>>> byLock;
    for (const auto& lane : lanes)
        for (const Span& s : lane)
            if (s.state == LaneState::LockWait)
                byLock[s.lock].emplace_back(s.start, s.end);
    std::map<std::uint16_t, Waits> waits;
    for (auto& [lock, intervals] : byLock) {
        std::sort(intervals.begin(), intervals.end());
        Waits& w = waits[lock];
        std::int64_t maxEnd = INT64_MIN;
        for (const auto& [start, end] : intervals) {
            maxEnd = std::max(maxEnd, end);
            w.starts.push_back(start);
            w.maxEnds.push_back(maxEnd);
        }
    }
    for (auto& lane : lanes) {
        for (Span& s : lane) {
            if (s.state != LaneState::LockHeld)
                continue;
            const auto it = waits.find(s.lock);
            if (it == waits.end())
                continue;
            const auto& w = it->second;
            const auto k = std::lower_bound(w.starts.begin(), w.starts.end(), s.end) - w.starts.begin();
            if (k > 0 && w.maxEnds[k - 1] > s.start)
                s.state = LaneState::LockHeldContended;
        }
    }
}

std::vector<std::vector<Span>> buildSpans(const Trace& trace)
{
    std::vector<std::vector<Span>> lanes;
    lanes.reserve(trace.lanes.size());
    for (const auto& events : trace.lanes)
        lanes.push_back(spansForLane(events, trace.endNs));
    markContendedHolds(lanes);
    return lanes;
}

} // namespace tl
