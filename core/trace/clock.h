#pragma once

#include <cstdint>
#include <ctime>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace tl {

// Two clocks: a cheap tick counter read on the hot path, and CLOCK_MONOTONIC nanoseconds, the clock every
// process on the machine shares. Reading CLOCK_MONOTONIC costs ~26 ns here; the TSC costs ~10 ns, so
// recorders store ticks and the collector converts them (see ClockSync) off the hot path.
namespace clock {

inline std::int64_t monotonicNs() noexcept
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// True when the kernel itself keeps time with the TSC (so it is invariant and synchronised across CPUs).
bool tscIsReliable();

// Nanoseconds per tick, measured once (a few ms) on first use; for converting durations in reports.
double nsPerTick();
inline std::int64_t ticksToNs(std::int64_t ticks)
{
    return std::int64_t(double(ticks) * nsPerTick());
}

namespace detail {
extern const bool useTsc;
}

inline std::uint64_t ticks() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    if (detail::useTsc)
        return __rdtsc();
#endif
    return std::uint64_t(monotonicNs());
}

} // namespace clock

// Maps tick values to CLOCK_MONOTONIC ns by linear interpolation between calibration points, each a pair
// (ticks, ns) read back to back. The collector takes one per drain, so the events of a drain are mapped
// through the rate measured over the very interval in which they were recorded.
class ClockSync {
public:
    ClockSync();
    // Take a new calibration point; the previous one becomes the interval's start.
    void calibrate() noexcept;
    std::int64_t toNs(std::uint64_t ticks) const noexcept;

private:
    struct Point {
        std::uint64_t ticks;
        std::int64_t ns;
    };
    static Point now() noexcept;
    Point m_from;
    Point m_to;
    double m_nsPerTick = 1.0;
};

} // namespace tl
