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
    LockRegistry();

    void waiting(std::uint32_t worker, std::uint16_t lock) noexcept;
    void acquired(std::uint32_t worker, std::uint16_t lock) noexcept;
    void released(std::uint32_t worker, std::uint16_t lock) noexcept;
    void stoppedWaiting(std::uint32_t worker) noexcept; // gave up without the lock

    struct Edge {
        std::uint32_t worker;
        std::uint16_t lock;
    };
    struct Snapshot {
        std::vector<Edge> holds; // worker holds lock
        std::vector<Edge> waits; // worker waits for lock
    };
    Snapshot snapshot(std::size_t workerCount) const;
    // A cycle of waits, if the snapshot has one: each worker waits for a lock the next one holds, and the
    // last waits for one the first holds. Empty when there is none. Pairs of (worker, lock it waits for).
    static std::vector<Edge> waitCycle(const Snapshot& s);

    static constexpr std::int32_t kNobody = -1;

private:
    // A cache line each: workers update their own slot on every lock operation, and a shared line would
    // make them contend with each other on top of the lock they are shown contending for.
    struct alignas(64) Slot : std::atomic<std::int32_t> {
        using std::atomic<std::int32_t>::operator=;
    };
    std::array<Slot, kMaxLocks> m_holder;
    std::array<Slot, kMaxWorkers> m_waitingFor;
};

} // namespace tl
