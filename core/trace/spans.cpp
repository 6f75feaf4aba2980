#include "spans.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

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
    case LaneState::Blocked:
        return QStringLiteral("blocked in the kernel");
    }
    return {};
}

bool claimsCpu(LaneState s)
{
    return s == LaneState::Running || s == LaneState::LockHeld || s == LaneState::LockHeldContended
        || s == LaneState::Unprotected;
}

void SpanBuilder::enter(std::int64_t t, LaneState next, std::uint16_t lock, std::int16_t cpu)
{
    close(t);
    m_active = true;
    m_open = { t, t, lock, cpu, next };
    // A wait, a sleep or time off the CPU inside a hold or an unprotected section keeps showing it.
    if (next != LaneState::LockHeld && next != LaneState::Unprotected) {
        if (m_unprotected != 0) {
            m_open.inside = LaneState::Unprotected;
            m_open.insideLock = m_unprotected;
        } else if (!m_locks.empty() && !(next == LaneState::LockWait && m_locks.back() == lock)) {
            m_open.inside = LaneState::LockHeld;
            m_open.insideLock = m_locks.back();
        }
    }
}

void SpanBuilder::close(std::int64_t t)
{
    if (m_active && t > m_open.start) {
        m_open.end = t;
        (t > m_lastOwn ? m_held : *m_out).push_back(m_open);
    }
    m_active = false;
}

void SpanBuilder::flushHeld()
{
    m_out->insert(m_out->end(), m_held.begin(), m_held.end());
    m_held.clear();
}

bool SpanBuilder::openSpan(std::int64_t now, Span* span) const
{
    // While spans are held back the lane may be inside a loss: the live view waits rather than claim.
    if (!m_active || now <= m_open.start || !m_held.empty())
        return false;
    *span = m_open;
    span->end = now;
    return true;
}

void SpanBuilder::show(std::int64_t t, std::int16_t eventCpu)
{
    if (m_cpuState == Cpu::Unknown && claimsCpu(m_worker)) {
        // The worker's events say it runs; whether it had a CPU is unknown: no CPU, and a "no data" strip.
        enter(t, m_worker, m_workerLock, -1);
        m_open.inside = LaneState::NoData;
        m_open.insideLock = 0;
    } else if (m_cpuState != Cpu::On && claimsCpu(m_worker))
        enter(t, m_cpuState == Cpu::Preempted ? LaneState::Queued : LaneState::Blocked, 0, -1);
    else if (m_kernelSeen)
        enter(t, m_worker, m_workerLock, m_cpuState == Cpu::On ? m_switchCpu : std::int16_t(-1));
    else
        enter(t, m_worker, m_workerLock, eventCpu);
}

void SpanBuilder::resume(std::int64_t t, std::int16_t eventCpu)
{
    if (m_unprotected != 0) {
        m_worker = LaneState::Unprotected;
        m_workerLock = m_unprotected;
    } else if (!m_locks.empty()) {
        m_worker = LaneState::LockHeld;
        m_workerLock = m_locks.back();
    } else {
        m_worker = LaneState::Running;
        m_workerLock = 0;
    }
    show(t, eventCpu);
}

void SpanBuilder::forgetHolds()
{
    m_locks.clear();
    m_unprotected = 0;
}

void SpanBuilder::add(const Event& e)
{
    const std::int64_t previous = m_lastOwn;
    if (e.kind != EventKind::SwitchOut && e.kind != EventKind::SwitchIn
        && !(e.kind == EventKind::Lost && e.lock == kLostSwitchRecords)) {
        if (e.kind != EventKind::Lost && !m_held.empty()) [[unlikely]]
            flushHeld(); // the worker recorded again with nothing lost: what the kernel said stands
        m_lastOwn = e.time;
    }
    const std::int16_t cpu = eventCpu(e);
    auto become = [&](LaneState state, std::uint16_t lock) {
        m_worker = state;
        m_workerLock = lock;
        show(e.time, cpu);
    };
    switch (e.kind) {
    case EventKind::Enqueued:
        become(LaneState::Queued, 0);
        break;
    case EventKind::Started:
        // Possibly a new thread on this lane (the next batch of a pool): whatever the kernel said of the
        // previous one no longer holds, and a thread that records is on a CPU, the one it names.
        m_cpuState = Cpu::On;
        m_switchCpu = cpu;
        resume(e.time, cpu);
        break;
    case EventKind::Running:
        resume(e.time, cpu);
        break;
    case EventKind::LockWait:
        become(LaneState::LockWait, e.lock);
        break;
    case EventKind::LockAcquired:
        if (e.value == 0) { // the "none" lock: a critical section nothing protects
            m_unprotected = e.lock;
            become(LaneState::Unprotected, e.lock);
            break;
        }
        m_locks.push_back(e.lock);
        become(LaneState::LockHeld, e.lock);
        break;
    case EventKind::LockReleased:
        if (m_unprotected == e.lock)
            m_unprotected = 0;
        else if (auto it = std::find(m_locks.rbegin(), m_locks.rend(), e.lock); it != m_locks.rend())
            m_locks.erase(std::next(it).base());
        resume(e.time, cpu);
        break;
    case EventKind::Sleeping:
        become(LaneState::Sleeping, 0);
        break;
    case EventKind::IoWait:
        become(LaneState::IoWait, 0);
        break;
    case EventKind::Finished:
        close(e.time);
        forgetHolds();
        break;
    case EventKind::Mark:
        m_marks->push_back({ e.time, e.value, e.kind });
        break;
    case EventKind::Exited: // the process is gone: nothing of it runs, sleeps or holds after this
        close(e.time);
        forgetHolds();
        m_marks->push_back({ e.time, e.value, e.kind });
        break;
    case EventKind::SwitchOut:
    case EventKind::SwitchIn: {
        if (e.value == kThreadExited && e.kind == EventKind::SwitchOut) { // nothing of it runs after this
            m_kernelSeen = true;
            close(e.time);
            forgetHolds();
            m_cpuState = Cpu::Blocked;
            break;
        }
        const Cpu before = m_cpuState;
        const std::int16_t cpuBefore = m_switchCpu;
        m_kernelSeen = true;
        if (e.value == kSwitchRecordsMayStop) {
            if (m_cpuState != Cpu::Unknown)
                m_cpuUnknownSince = e.time;
            m_cpuState = Cpu::Unknown;
        } else {
            m_cpuState = e.kind == EventKind::SwitchIn ? Cpu::On : e.value ? Cpu::Preempted : Cpu::Blocked;
        }
        if (e.kind == EventKind::SwitchIn)
            m_switchCpu = cpu;
        // A wait or a sleep looks the same on or off the CPU: only states that claim the CPU change.
        const bool changed = m_cpuState != before || m_switchCpu != cpuBefore;
        if (m_active && changed && claimsCpu(m_worker))
            show(e.time, cpu);
        break;
    }
    case EventKind::Lost: {
        if (e.lock == kLostSwitchRecords) {
            // Only the kernel's records are missing: the worker's spans stand, drawn CPU-less since the loss
            // began (the ring was found full then), and the gap is listed with its count.
            const std::int64_t from = m_cpuState == Cpu::Unknown ? m_cpuUnknownSince : e.time;
            m_gaps->push_back({ from, e.time, std::uint64_t(e.value), true });
            break;
        }
        // What happened after the worker's previous own event is unknown, whatever the kernel's records say
        // of it: its span ends there, a gap runs to now, and the locks held are no longer known either.
        const std::int64_t from = previous == INT64_MIN ? e.time : std::min(previous, e.time);
        m_held.clear();
        if (m_active && m_open.start < from)
            close(from);
        m_active = false;
        if (e.time > from)
            m_out->push_back({ from, e.time, 0, -1, LaneState::NoData });
        m_gaps->push_back({ from, e.time, std::uint64_t(e.value) });
        forgetHolds();
        m_cpuState = Cpu::On; // the next switch says otherwise
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
    // The kernel's records lost where the reader did not find its ring full (so no kSwitchRecordsMayStop
    // came first): they were lost after the kernel's last record before the Lost one, so the CPU is unknown
    // from there, as if the marker had come. Which records those are, found in a first pass.
    std::vector<std::size_t> unknownAfter;
    {
        std::size_t i = 0;
        std::size_t lastSwitch = SIZE_MAX;
        events.forEachPiece([&](std::span<const Event> piece) {
            for (const Event& e : piece) {
                if (e.kind == EventKind::SwitchIn || e.kind == EventKind::SwitchOut)
                    lastSwitch = e.value == kSwitchRecordsMayStop ? SIZE_MAX : i;
                else if (e.kind == EventKind::Lost && e.lock == kLostSwitchRecords && lastSwitch != SIZE_MAX)
                    unknownAfter.push_back(std::exchange(lastSwitch, SIZE_MAX));
                ++i;
            }
        });
    }
    std::size_t i = 0;
    auto next = unknownAfter.begin();
    events.forEachPiece([&](std::span<const Event> piece) {
        for (const Event& e : piece) {
            builder.add(e);
            if (next != unknownAfter.end() && *next == i++) {
                builder.add({ e.time, kSwitchRecordsMayStop, 0, kUnknownCpu, EventKind::SwitchOut });
                ++next;
            }
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
    std::vector<ChunkedVector<Span>*> spans;
    for (LaneSpans& lane : lanes)
        spans.push_back(&lane.spans);
    markContendedHolds(spans);
}

std::vector<std::size_t> markContendedHolds(const std::vector<ChunkedVector<Span>*>& lanes)
{
    std::vector<std::size_t> firstChanged(lanes.size(), SIZE_MAX);
    // Per lock: every wait interval sorted by start, with a running maximum of the ends, so "did a wait
    // overlap [h0, h1)" is "is maxEnd over the waits starting before h1 greater than h0". Each lane's waits
    // and holds are already in time order, so the sorted list is a merge of sorted runs, and each lane walks
    // it with one forward-moving pointer: linear, no per-hold search.
    struct Waits {
        std::vector<std::pair<std::int64_t, std::int64_t>> intervals;
        std::vector<std::int64_t> maxEnds;
    };
    std::vector<Waits> byLock;
    for (const auto* lane : lanes) {
        std::vector<std::size_t> runStart(byLock.size());
        for (std::size_t l = 0; l < byLock.size(); ++l)
            runStart[l] = byLock[l].intervals.size();
        for (const Span& s : *lane) {
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
    if (byLock.empty())
        return firstChanged; // nobody waited for any lock
    for (auto& w : byLock) {
        std::int64_t maxEnd = INT64_MIN;
        w.maxEnds.reserve(w.intervals.size());
        for (const auto& interval : w.intervals)
            w.maxEnds.push_back(maxEnd = std::max(maxEnd, interval.second));
    }
    for (std::size_t l = 0; l < lanes.size(); ++l) {
        ChunkedVector<Span>& lane = *lanes[l];
        std::vector<std::size_t> cursor(byLock.size(), 0); // waits starting before the current hold's end
        // A hold is contended if someone waited for its lock meanwhile, whether the holder ran, waited for
        // another lock or had no CPU at the time (then it is the hold the span is inside).
        auto contended = [&](const Span& s, std::uint16_t lock) {
            if (lock >= byLock.size())
                return false;
            const auto& w = byLock[lock];
            std::size_t& k = cursor[lock];
            while (k < w.intervals.size() && w.intervals[k].first < s.end)
                ++k;
            return k > 0 && w.maxEnds[k - 1] > s.start;
        };
        for (std::size_t i = 0; i < lane.size(); ++i) {
            Span& s = lane[i];
            if (s.state == LaneState::LockHeld && contended(s, s.lock)) {
                s.state = LaneState::LockHeldContended;
                firstChanged[l] = std::min(firstChanged[l], i);
            }
            if (s.inside == LaneState::LockHeld && contended(s, s.insideLock)) {
                s.inside = LaneState::LockHeldContended;
                firstChanged[l] = std::min(firstChanged[l], i);
            }
        }
    }
    return firstChanged;
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
