#include "lockregistry.h"

#include <algorithm>
#include <bit>
#include <map>

namespace tl {

void LockRegistry::waiting(std::uint32_t worker, std::uint16_t lock, bool givesUp) noexcept
{
    if (worker < kMaxWorkers)
        m_workers[worker].waitingFor.store(std::int32_t(lock) | (givesUp ? kGivesUp : 0), std::memory_order_relaxed);
}

// Single writer per slot: a load and a store, not a locked read-modify-write, which would lengthen every
// critical section.
void LockRegistry::acquired(std::uint32_t worker, std::uint16_t lock) noexcept
{
    if (worker >= kMaxWorkers)
        return;
    Slot& slot = m_workers[worker];
    if (slot.waitingFor.load(std::memory_order_relaxed) != kNobody)
        slot.waitingFor.store(kNobody, std::memory_order_relaxed);
    if (lock < kMaxLocks)
        slot.holds.store(
            slot.holds.load(std::memory_order_relaxed) | (std::uint64_t(1) << lock), std::memory_order_relaxed);
}

void LockRegistry::released(std::uint32_t worker, std::uint16_t lock) noexcept
{
    if (worker < kMaxWorkers && lock < kMaxLocks) {
        Slot& slot = m_workers[worker];
        slot.holds.store(
            slot.holds.load(std::memory_order_relaxed) & ~(std::uint64_t(1) << lock), std::memory_order_relaxed);
    }
}

void LockRegistry::stoppedWaiting(std::uint32_t worker) noexcept
{
    if (worker < kMaxWorkers)
        m_workers[worker].waitingFor.store(kNobody, std::memory_order_relaxed);
}

std::vector<LockRegistry::Edge> LockRegistry::waitCycle(const Snapshot& s)
{
    // Every worker waits for at most one lock and every lock has at most one holder, so the wait-for graph
    // is a set of chains: follow each one from its start until it ends or comes back on itself.
    std::map<std::uint32_t, std::uint16_t> waitsFor;
    std::map<std::uint16_t, std::uint32_t> heldBy;
    for (const Edge& w : s.waits)
        if (!w.givesUp)
            waitsFor[w.worker] = w.lock;
    for (const Edge& h : s.holds)
        heldBy[h.lock] = h.worker;
    for (const auto& [start, unused] : waitsFor) {
        std::vector<Edge> path;
        std::uint32_t worker = start;
        while (waitsFor.count(worker) && heldBy.count(waitsFor[worker])) {
            const auto seen = std::find_if(path.begin(), path.end(), [&](const Edge& e) { return e.worker == worker; });
            if (seen != path.end())
                return std::vector<Edge>(seen, path.end());
            path.push_back({ worker, waitsFor[worker] });
            worker = heldBy[waitsFor[worker]];
            if (worker == path.back().worker)
                break; // waiting for a lock it holds itself: not a cycle between workers
        }
    }
    return {};
}

LockRegistry::Snapshot LockRegistry::snapshot(std::size_t workerCount) const
{
    Snapshot s;
    for (std::size_t w = 0; w < std::min(workerCount, kMaxWorkers); ++w) {
        const Slot& slot = m_workers[w];
        for (std::uint64_t held = slot.holds.load(std::memory_order_relaxed); held != 0; held &= held - 1)
            s.holds.push_back({ std::uint32_t(w), std::uint16_t(std::countr_zero(held)) });
        if (const auto l = slot.waitingFor.load(std::memory_order_relaxed); l != kNobody)
            s.waits.push_back({ std::uint32_t(w), std::uint16_t(l & ~kGivesUp), (l & kGivesUp) != 0 });
    }
    return s;
}

} // namespace tl
