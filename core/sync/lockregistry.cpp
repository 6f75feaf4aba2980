#include "lockregistry.h"

#include <algorithm>
#include <map>

namespace tl {

LockRegistry::LockRegistry()
{
    for (auto& h : m_holder)
        h.store(kNobody, std::memory_order_relaxed);
    for (auto& w : m_waitingFor)
        w.store(kNobody, std::memory_order_relaxed);
}

void LockRegistry::waiting(std::uint32_t worker, std::uint16_t lock) noexcept
{
    if (worker < kMaxWorkers)
        m_waitingFor[worker].store(lock, std::memory_order_relaxed);
}

void LockRegistry::acquired(std::uint32_t worker, std::uint16_t lock) noexcept
{
    if (worker < kMaxWorkers)
        m_waitingFor[worker].store(kNobody, std::memory_order_relaxed);
    if (lock < kMaxLocks)
        m_holder[lock].store(std::int32_t(worker), std::memory_order_relaxed);
}

void LockRegistry::released(std::uint32_t worker, std::uint16_t lock) noexcept
{
    // Only the holder clears its entry (under the "none" lock others may have written theirs since); a load
    // and a store, not a locked compare-exchange, which would lengthen every critical section.
    if (lock < kMaxLocks && m_holder[lock].load(std::memory_order_relaxed) == std::int32_t(worker))
        m_holder[lock].store(kNobody, std::memory_order_relaxed);
}

void LockRegistry::stoppedWaiting(std::uint32_t worker) noexcept
{
    if (worker < kMaxWorkers)
        m_waitingFor[worker].store(kNobody, std::memory_order_relaxed);
}

std::vector<LockRegistry::Edge> LockRegistry::waitCycle(const Snapshot& s)
{
    // Every worker waits for at most one lock and every lock has at most one holder, so the wait-for graph
    // is a set of chains: follow each one from its start until it ends or comes back on itself.
    std::map<std::uint32_t, std::uint16_t> waitsFor;
    std::map<std::uint16_t, std::uint32_t> heldBy;
    for (const Edge& w : s.waits)
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
    for (std::size_t l = 0; l < kMaxLocks; ++l)
        if (const auto h = m_holder[l].load(std::memory_order_relaxed); h != kNobody)
            s.holds.push_back({ std::uint32_t(h), std::uint16_t(l) });
    for (std::size_t w = 0; w < std::min(workerCount, kMaxWorkers); ++w)
        if (const auto l = m_waitingFor[w].load(std::memory_order_relaxed); l != kNobody)
            s.waits.push_back({ std::uint32_t(w), std::uint16_t(l) });
    return s;
}

} // namespace tl
