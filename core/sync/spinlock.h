#pragma once

#include <atomic>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace tl {

// Test-and-test-and-set spinlock. It yields now and then: with more workers than cores, a pure spinner can
// burn a whole time slice while the holder is descheduled, which teaches the wrong lesson about spinning.
class SpinLock {
public:
    void lock() noexcept
    {
        for (unsigned spins = 0;; ++spins) {
            if (!m_locked.exchange(true, std::memory_order_acquire))
                return;
            while (m_locked.load(std::memory_order_relaxed)) {
#if defined(__x86_64__) || defined(__i386__)
                _mm_pause();
#endif
                if (++spins % 256 == 0)
                    std::this_thread::yield();
            }
        }
    }
    bool try_lock() noexcept
    {
        return !m_locked.load(std::memory_order_relaxed) && !m_locked.exchange(true, std::memory_order_acquire);
    }
    void unlock() noexcept
    {
        m_locked.store(false, std::memory_order_release);
    }

private:
    std::atomic<bool> m_locked { false };
};

} // namespace tl
