#include "instrumentedlock.h"

namespace tl {

InstrumentedLock::InstrumentedLock(std::uint16_t id, LockKind kind, LockRegistry& registry)
    : m_registry(registry)
    , m_id(id)
    , m_kind(kind)
{
}

void InstrumentedLock::lock(Recorder& rec, LockStats& stats, LockKind kind) noexcept
{
    // The "none" lock has nothing to wait for: recording a wait would only show the recorder's own cost.
    if (kind == LockKind::None) {
        taken(rec, stats, kind, clock::ticks());
        return;
    }
    // A free lock is taken before anything is read or recorded: no wait happened, so none is recorded, and
    // a worker that releases and takes the lock again does so as promptly as it would unobserved. Recording
    // first would widen the moment between its unlock and its next lock, hand the lock to the other waiting
    // thread far more often than the plain program does, and so change the race being shown.
    if (kind == LockKind::Mutex ? m_mutex.try_lock() : m_spin.try_lock()) {
        taken(rec, stats, kind, 0);
        return;
    }
    const std::uint64_t waitStart = clock::ticks();
    rec.recordStamped(waitStart, EventKind::LockWait, 0, m_id);
    m_registry.waiting(rec.worker(), m_id);
    if (kind == LockKind::Mutex)
        m_mutex.lock();
    else
        m_spin.lock();
    taken(rec, stats, kind, waitStart);
}

bool InstrumentedLock::lockWithin(
    Recorder& rec, LockStats& stats, std::chrono::nanoseconds timeout, const std::function<bool()>& giveUp) noexcept
{
    if (m_mutex.try_lock()) {
        taken(rec, stats, LockKind::Mutex, 0);
        return true;
    }
    if (timeout <= std::chrono::nanoseconds::zero())
        return false;
    constexpr auto kPoll = std::chrono::milliseconds(5);
    const std::uint64_t waitStart = clock::ticks();
    rec.recordStamped(waitStart, EventKind::LockWait, 0, m_id);
    const bool givesUp = timeout != kNoDeadline;
    m_registry.waiting(rec.worker(), m_id, givesUp);
    const auto deadline = givesUp
        ? std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout)
        : std::chrono::steady_clock::time_point::max();
    for (auto now = std::chrono::steady_clock::now(); now < deadline && !giveUp();
         now = std::chrono::steady_clock::now()) {
        // Each slice waits until a system_clock time: libstdc++ turns that into pthread_mutex_timedlock, which
        // ThreadSanitizer follows, where a steady_clock time becomes pthread_mutex_clocklock, which it does not
        // (it then takes the later unlock for an unlock of a free mutex). The deadline itself stays steady.
        const auto slice = std::min<std::chrono::steady_clock::duration>(deadline - now, kPoll);
        if (m_mutex.try_lock_until(std::chrono::system_clock::now() + slice)) {
            taken(rec, stats, LockKind::Mutex, waitStart);
            return true;
        }
    }
    m_registry.stoppedWaiting(rec.worker());
    rec.record(EventKind::Running);
    stats.waitTicks += std::int64_t(clock::ticks() - waitStart);
    return false;
}

void InstrumentedLock::taken(Recorder& rec, LockStats& stats, LockKind kind, std::uint64_t waitStart) noexcept
{
    const std::uint64_t acquiredAt = clock::ticks();
    rec.recordStamped(acquiredAt, EventKind::LockAcquired, kind == LockKind::None ? 0 : 1, m_id);
    // Without a lock nothing is acquired, waited for or held: an unprotected section is no hold, and the
    // gap between the two reads is only preemption.
    if (kind == LockKind::None)
        return;
    m_registry.acquired(rec.worker(), m_id);
    if (waitStart != 0) {
        const auto waited = std::int64_t(acquiredAt - waitStart);
        stats.waitTicks += waited;
        stats.longestWaitTicks = std::max(stats.longestWaitTicks, waited);
        ++stats.waits;
    }
    ++stats.acquisitions;
    if (stats.depth++ == 0)
        stats.heldSince = acquiredAt;
}

void InstrumentedLock::unlock(Recorder& rec, LockStats& stats, LockKind kind) noexcept
{
    const std::uint64_t releasedAt = clock::ticks();
    if (kind != LockKind::None) {
        if (--stats.depth == 0)
            stats.holdTicks += std::int64_t(releasedAt - stats.heldSince);
        m_registry.released(rec.worker(), m_id);
    }
    rec.recordStamped(releasedAt, EventKind::LockReleased, 0, m_id);
    switch (kind) {
    case LockKind::None:
        break;
    case LockKind::Mutex:
        m_mutex.unlock();
        break;
    case LockKind::Spin:
        m_spin.unlock();
        break;
    }
}

} // namespace tl
