#include "simulatedgil.h"

#include "../trace/clock.h"

namespace tl {

namespace {
// A stop is noticed within this long by a thread waiting for the GIL.
constexpr auto kStopPoll = std::chrono::milliseconds(20);
}

SimulatedGil::SimulatedGil(std::uint16_t lockId, std::chrono::nanoseconds switchInterval, std::function<bool()> stopped)
    : m_lockId(lockId)
    , m_intervalNs(switchInterval.count())
    , m_stopped(std::move(stopped))
{
}

bool SimulatedGil::acquire(Recorder& rec)
{
    rec.record(EventKind::LockWait, 0, m_lockId);
    std::unique_lock lock(m_mutex);
    const std::uint64_t ticket = m_nextTicket++;
    while (m_serving != ticket) {
        if (m_stopped()) {
            // Nobody will wait for this ticket's turn once the run stops; skip it so no one blocks on it.
            lock.unlock();
            rec.record(EventKind::Running);
            return false;
        }
        m_turn.wait_for(lock, kStopPoll);
    }
    m_heldSinceNs = clock::monotonicNs();
    lock.unlock();
    rec.record(EventKind::LockAcquired, 1, m_lockId);
    return true;
}

void SimulatedGil::release(Recorder& rec)
{
    rec.record(EventKind::LockReleased, 0, m_lockId);
    {
        std::lock_guard lock(m_mutex);
        ++m_serving;
    }
    m_turn.notify_all();
}

bool SimulatedGil::checkInterval(Recorder& rec)
{
    {
        std::lock_guard lock(m_mutex);
        const bool someoneWaits = m_nextTicket > m_serving + 1;
        if (!someoneWaits || clock::monotonicNs() - m_heldSinceNs < m_intervalNs)
            return true;
        ++m_switches;
    }
    release(rec);
    return acquire(rec);
}

std::int64_t SimulatedGil::switches() const
{
    std::lock_guard lock(m_mutex);
    return m_switches;
}

} // namespace tl
