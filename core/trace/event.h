#pragma once

#include <climits>
#include <cstdint>
#include <string>
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
    Mark, // a point of interest; value is scenario-defined
    Lost, // value = events the ring had no room for since the worker's previous event (a gap in the lane)
    Exited, // the process of this lane ended: value = exit code, or -signal when a signal ended it
    // From the kernel (see ContextSwitches), not the worker: the thread lost its CPU (value 1: preempted,
    // still runnable; 0: blocked in the kernel) or got one (`cpu`).
    SwitchOut,
    SwitchIn,
};
// A SwitchOut with this value is no switch: the kernel's ring was full when read, so its records may stop
// here. Whether the thread had a CPU stays unknown until the next record (a Lost one first, if any were).
inline constexpr std::int32_t kSwitchRecordsMayStop = 2;
// A SwitchOut with this value is the thread's end as the kernel saw it (PERF_RECORD_EXIT): nothing of it runs
// after this, even before its parent notices that the process is gone.
inline constexpr std::int32_t kThreadExited = 3;
// A Lost event with this `lock` counts the kernel's switch records, not the worker's events: every event of
// the worker is there, only when it was on a CPU is unknown (from the kSwitchRecordsMayStop before it).
inline constexpr std::uint16_t kLostSwitchRecords = 1;
inline constexpr int kEventKindCount = int(EventKind::SwitchIn) + 1;

std::string_view eventKindName(EventKind kind);
// The value of an Exited event for a process that could not be started.
inline constexpr std::int32_t kNeverStarted = INT32_MIN;
// The value of an Exited event for a process whose exit status ThreadLab could not see (another program's
// child, collected by its own parent).
inline constexpr std::int32_t kExitUnseen = INT32_MIN + 1;
// "exited with code 1", "killed by SIGKILL": what an Exited event's value says.
std::string exitText(std::int32_t value);

// One thing a worker did: 16 bytes, so four share a cache line and a lane's ring stays cache-resident.
// The worker is not stored: it is known from the ring (and, once stored, from the lane) the event is in.
// `time` holds clock ticks while in a recorder and CLOCK_MONOTONIC ns once the collector has stored it.
struct Event {
    std::int64_t time;
    std::int32_t value;
    std::uint16_t lock;
    std::uint8_t cpu; // kUnknownCpu when not known
    EventKind kind;
};
static_assert(sizeof(Event) == 16, "four events per cache line");
inline constexpr std::uint8_t kUnknownCpu = 0xff;
// The CPU as the rest of the code counts it: -1 when unknown.
inline std::int16_t eventCpu(const Event& e)
{
    return e.cpu == kUnknownCpu ? std::int16_t(-1) : std::int16_t(e.cpu);
}

// A counter's value at a moment (the collector's sampler takes them; workers pay nothing).
struct CounterSample {
    std::int64_t time; // CLOCK_MONOTONIC ns
    std::int64_t value;
    std::uint32_t counter; // index into the run's counter names
};

} // namespace tl
