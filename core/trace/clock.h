#pragma once

#include <cstdint>
#include <ctime>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace tl {

// Two clocks: a cheap tick counter read on the hot path, and CLOCK_MONOTONIC nanoseconds, the clock every
// process on the machine shares. Under a paravirtual clock (kvm-clock) CLOCK_MONOTONIC costs ~26 ns; the TSC
// costs ~10 ns, so recorders store ticks and the collector converts them (see ClockSync) off the hot path.
namespace clock {

inline std::int64_t monotonicNs() noexcept
{
    timespec ts {};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

enum class TickSource : std::uint8_t { Tsc, Monotonic };

// True when the CPU's time-stamp counter runs at a constant rate through idle states and is kept in step
// across CPUs: the kernel keeps time with it, or the CPU says so (constant_tsc and nonstop_tsc, as virtual
// CPUs do under kvm-clock). Then every process of the machine reads the same TSC.
bool hasInvariantTsc();
// What ticks() reads in this process: the TSC where it is invariant, else CLOCK_MONOTONIC. THREADLAB_CLOCK=
// monotonic in the environment forces the latter (children inherit it, so all processes of a run agree).
TickSource tickSource();
const char* tickSourceName(TickSource source);

// Nanoseconds per tick, measured once (a few ms) on first use; for converting durations in reports.
double nsPerTick();
inline std::int64_t ticksToNs(std::int64_t ticks)
{
    return std::int64_t(double(ticks) * nsPerTick());
}

namespace detail {
extern const bool useTsc;
}

inline std::uint64_t read(TickSource source) noexcept
{
#if defined(__x86_64__) || defined(__i386__)
    if (source == TickSource::Tsc)
        return __rdtsc();
#endif
    (void)source;
    return std::uint64_t(monotonicNs());
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
    explicit ClockSync(clock::TickSource source = clock::tickSource());
    // Take a new calibration point; the previous one becomes the interval's start.
    void calibrate() noexcept;
    std::int64_t toNs(std::uint64_t ticks) const noexcept;

private:
    struct Point {
        std::uint64_t ticks;
        std::int64_t ns;
    };
    Point now() const noexcept;
    clock::TickSource m_source;
    Point m_from;
    Point m_to;
    double m_nsPerTick = 1.0;
};

} // namespace tl
