#pragma once

#include <cstdint>
#include <string_view>

namespace tl {

enum class EventKind : std::uint8_t {
    Enqueued, // ready but not running: handed to a pool, or (recorded afterwards) waiting for a CPU
    Started, // the worker began
    Running, // back to running after a sleep or I/O wait
    LockWait, // started waiting for lock `lock`
    LockAcquired, // got lock `lock`; value = 1 if it excludes others, 0 for the "none" lock
    LockReleased, // let go of lock `lock`
    Sleeping,
    IoWait,
    Finished,
    CounterSample, // worker = counter id; value = the counter's value
    Mark, // a point of interest; value is scenario-defined
};
inline constexpr int kEventKindCount = int(EventKind::Mark) + 1;

std::string_view eventKindName(EventKind kind);

// One thing a worker did. Fixed size so recorders are plain arrays; `time` holds clock ticks while in a
// recorder and CLOCK_MONOTONIC ns once the collector has stored it in a Trace.
struct Event {
    std::int64_t time;
    std::int64_t value;
    std::uint32_t worker;
    std::uint16_t lock;
    std::int16_t cpu;
    EventKind kind;
};
static_assert(sizeof(Event) <= 32, "events must stay within half a cache line");

} // namespace tl
