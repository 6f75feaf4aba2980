#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace tl {

// Holds a scenario's workers until all of them have arrived, then lets them go together, so a race really
// races (starting a thread takes longer than a short worker runs). Waiters block in the kernel: a yield loop
// kept them runnable, burnt both CPUs and wrote ~330 000 context-switch records a second into each worker's
// kernel ring, which then overflowed and left the lanes' CPUs unknown.
class StartBarrier {
public:
    explicit StartBarrier(std::size_t count)
        : m_count(count)
    {
    }

    // Arrives and waits for the others; gives up (false) once `stopped()` is true, asked every few ms.
    template <typename Stopped> bool arriveAndWait(Stopped&& stopped)
    {
        std::unique_lock lock(m_mutex);
        if (++m_arrived == m_count) {
            m_all.notify_all();
            return true;
        }
        constexpr auto kStopPoll = std::chrono::milliseconds(5);
        while (m_arrived < m_count)
            if (!m_all.wait_for(lock, kStopPoll, [&] { return m_arrived >= m_count; }) && stopped())
                return false;
        return true;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_all;
    const std::size_t m_count;
    std::size_t m_arrived = 0;
};

} // namespace tl
