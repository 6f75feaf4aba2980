#pragma once

#include <QString>
#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

namespace tl {

inline constexpr std::size_t kMaxWorkers = 256;
inline constexpr std::size_t kMaxLocks = 64;

// Who holds which lock and who waits for which, kept in plain atomics so that recording it never takes a
// lock of its own (a global registry mutex would change the very contention it observes). Readers get a
// snapshot that may be a moment stale, which is all a wait-for graph needs.
class LockRegistry {
public:
    // `givesUp`: the wait ends by itself at a deadline (a try-lock, a timed lock), whether or not the lock comes.
    void waiting(std::uint32_t worker, std::uint16_t lock, bool givesUp = false) noexcept;
    void acquired(std::uint32_t worker, std::uint16_t lock) noexcept;
    void released(std::uint32_t worker, std::uint16_t lock) noexcept;
    void stoppedWaiting(std::uint32_t worker) noexcept; // gave up without the lock

    struct Edge {
        std::uint32_t worker;
        std::uint16_t lock;
        bool givesUp = false; // a wait: ends at its deadline without the lock
    };
    struct Snapshot {
        std::vector<Edge> holds; // worker holds lock
        std::vector<Edge> waits; // worker waits for lock
    };
    Snapshot snapshot(std::size_t workerCount) const;
    // A cycle of waits, if the snapshot has one: each worker waits for a lock the next one holds, and the
    // last waits for one the first holds. Empty when there is none. Pairs of (worker, lock it waits for).
    // A wait that gives up at a deadline is in no cycle: however long its thread is kept off the CPU, it
    // ends by itself, so the others go on.
    static std::vector<Edge> waitCycle(const Snapshot& s);

    static constexpr std::int32_t kNobody = -1;

private:
    // What one worker holds and waits for, written by that worker alone, on a cache line of its own: a slot
    // per lock would move between the cores with every hand-over, one more line inside every critical section
    // than the unobserved program pays for.
    struct alignas(64) Slot {
        std::atomic<std::uint64_t> holds { 0 }; // bit l: holds lock l (lock ids are below kMaxLocks = 64)
        std::atomic<std::int32_t> waitingFor { kNobody }; // the lock, plus kGivesUp for a wait with a deadline
    };
    static constexpr std::int32_t kGivesUp = 1 << 16; // above every lock id
    static_assert(kMaxLocks <= 64, "a worker's holds are one 64-bit mask");
    std::array<Slot, kMaxWorkers> m_workers;
};

} // namespace tl
