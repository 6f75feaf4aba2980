#pragma once

#include "../trace/recorder.h"
#include "lockregistry.h"
#include "spinlock.h"

#include <QString>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace tl {

enum class LockKind : std::uint8_t {
    None, // no mutual exclusion at all: the critical section is still recorded, so the race is visible
    Mutex, // std::mutex
    Spin, // SpinLock
};

// What one worker went through with locks; owned by that worker, read after it has been joined. In clock
// ticks (cheap to take on the hot path); clock::ticksToNs() converts when reporting. A cache line each:
// scenarios keep them side by side in a vector, and two workers' stats on one line would make every
// critical section pull that line from the other core.
struct alignas(64) LockStats {
    std::int64_t waitTicks = 0;
    std::int64_t holdTicks = 0; // time holding at least one lock
    std::int64_t longestWaitTicks = 0;
    std::int64_t acquisitions = 0;
    std::int64_t waits = 0; // acquisitions that found the lock taken (the others record no wait)
    // Bookkeeping for nested holds.
    std::uint64_t heldSince = 0;
    int depth = 0;
};

// A lock that records wait-begin (only when the lock is taken), acquired and released into the calling worker's
// recorder, and tells the registry, without taking any other lock to do either. The kind may be switched between
// critical sections. Kind None excludes nothing and records only the critical section (acquired with value 0,
// released).
class InstrumentedLock {
public:
    InstrumentedLock(std::uint16_t id, LockKind kind, LockRegistry& registry);

    std::uint16_t id() const noexcept { return m_id; }

    void lock(Recorder& rec, LockStats& stats, LockKind kind) noexcept;
    void unlock(Recorder& rec, LockStats& stats, LockKind kind) noexcept;
    // A mutex acquisition that can end without the lock: waits at most `timeout`, and gives up as soon as
    // `giveUp()` is true (asked every few milliseconds), so a thread caught in a deadlock can always be
    // released. True when the lock was taken. A zero timeout is a try-lock (no wait is recorded); kNoDeadline
    // waits until the lock comes or `giveUp()`, and only such a wait can be part of a deadlock.
    static constexpr std::chrono::nanoseconds kNoDeadline = std::chrono::nanoseconds::max();
    bool lockWithin(Recorder& rec, LockStats& stats, std::chrono::nanoseconds timeout,
        const std::function<bool()>& giveUp) noexcept;
    void lock(Recorder& rec, LockStats& stats) noexcept { lock(rec, stats, m_kind); }
    void unlock(Recorder& rec, LockStats& stats) noexcept { unlock(rec, stats, m_kind); }

private:
    // `waitStart` 0: the lock was free, nothing was waited for.
    void taken(Recorder& rec, LockStats& stats, LockKind kind, std::uint64_t waitStart) noexcept;

    std::timed_mutex m_mutex;
    SpinLock m_spin;
    LockRegistry& m_registry;
    std::uint16_t m_id;
    LockKind m_kind;
};

// RAII guard over an InstrumentedLock, for the common case.
class InstrumentedGuard {
public:
    InstrumentedGuard(InstrumentedLock& lock, Recorder& rec, LockStats& stats, LockKind kind) noexcept
        : m_lock(lock)
        , m_rec(rec)
        , m_stats(stats)
        , m_kind(kind)
    {
        m_lock.lock(m_rec, m_stats, m_kind);
    }
    ~InstrumentedGuard() { m_lock.unlock(m_rec, m_stats, m_kind); }
    InstrumentedGuard(const InstrumentedGuard&) = delete;
    InstrumentedGuard& operator=(const InstrumentedGuard&) = delete;

private:
    InstrumentedLock& m_lock;
    Recorder& m_rec;
    LockStats& m_stats;
    LockKind m_kind;
};

} // namespace tl
