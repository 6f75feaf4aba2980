#pragma once

#include "../trace/recorder.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace tl {

// A simulated global interpreter lock, as CPython's: a thread must hold it to run (CPU) code; the holder
// lets it go around blocking I/O, and after a switch interval hands it to a thread that waits for it.
// Waiters are served first come, first served, so threads visibly take turns. Records wait, acquired and
// released events for lock `lockId` in the calling worker's recorder, so the timeline shows who waits.
class SimulatedGil {
public:
    SimulatedGil(std::uint16_t lockId, std::chrono::nanoseconds switchInterval, std::function<bool()> stopped);

    // Waits for the GIL; false when the run was stopped meanwhile (the caller then does not hold it).
    bool acquire(Recorder& rec);
    void release(Recorder& rec);
    // Called by the holder between steps of CPU work: after a switch interval, if another thread waits,
    // lets it run and queues up again. False when the run was stopped meanwhile (the GIL is then not held).
    bool checkInterval(Recorder& rec);
    std::int64_t switches() const;

private:
    const std::uint16_t m_lockId;
    const std::int64_t m_intervalNs;
    const std::function<bool()> m_stopped;
    mutable std::mutex m_mutex;
    std::condition_variable m_turn;
    std::uint64_t m_nextTicket = 0; // guarded by m_mutex, as are the rest
    std::uint64_t m_serving = 0;
    std::int64_t m_heldSinceNs = 0;
    std::int64_t m_switches = 0;
};

} // namespace tl
