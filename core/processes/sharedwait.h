#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tl {

// Blocking waits on a word that may live in memory shared between processes (a futex that is not
// process-private): a start barrier's waiters sleep in the kernel instead of spinning on sched_yield, which
// kept them runnable on every CPU and flooded their kernel context-switch rings.

// Returns once `word` no longer reads `expected`, or after `timeout` (spurious returns are possible too:
// callers check the word again).
void waitWhileEquals(const std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout);
// Wakes every process and thread waiting on `word` (after the caller changed it).
void wakeAllWaiters(std::atomic<std::uint32_t>& word);

} // namespace tl
