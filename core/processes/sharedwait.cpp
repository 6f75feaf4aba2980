#include "sharedwait.h"

#include <climits>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tl {

static_assert(
    sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) && std::atomic<std::uint32_t>::is_always_lock_free,
    "the kernel reads the futex word as a plain 32-bit integer");

void waitWhileEquals(const std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout)
{
    const timespec relative { time_t(timeout.count() / 1'000'000'000), long(timeout.count() % 1'000'000'000) };
    // FUTEX_WAIT, not FUTEX_WAIT_PRIVATE: the waker may be another process mapping the same page.
    syscall(SYS_futex, const_cast<std::atomic<std::uint32_t>*>(&word), FUTEX_WAIT, expected, &relative, nullptr, 0);
}

void wakeAllWaiters(std::atomic<std::uint32_t>& word)
{
    syscall(SYS_futex, &word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
}

} // namespace tl
