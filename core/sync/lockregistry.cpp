#include "lockregistry.h"

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
    if (lock < kMaxLocks) {
        std::int32_t expected = std::int32_t(worker);
        m_holder[lock].compare_exchange_strong(expected, kNobody, std::memory_order_relaxed);
    }
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
