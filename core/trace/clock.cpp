#include "clock.h"

#include <fstream>
#include <string>
#include <thread>

namespace tl {

bool clock::tscIsReliable()
{
#if defined(__x86_64__) || defined(__i386__)
    std::ifstream in("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    std::string source;
    in >> source;
    return source == "tsc";
#else
    return false;
#endif
}

const bool clock::detail::useTsc = clock::tscIsReliable();

double clock::nsPerTick()
{
    static const double rate = [] {
        if (!detail::useTsc)
            return 1.0;
        const std::uint64_t t0 = ticks();
        const std::int64_t n0 = monotonicNs();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const std::uint64_t t1 = ticks();
        const std::int64_t n1 = monotonicNs();
        return double(n1 - n0) / double(t1 - t0);
    }();
    return rate;
}

ClockSync::Point ClockSync::now() noexcept
{
    // Bracket the ns read with two tick reads and take their midpoint, which halves the read skew.
    const std::uint64_t before = clock::ticks();
    const std::int64_t ns = clock::monotonicNs();
    const std::uint64_t after = clock::ticks();
    return { before + (after - before) / 2, ns };
}

ClockSync::ClockSync()
{
    // Start from the process-wide rate so events recorded before the second calibration map sensibly.
    m_nsPerTick = clock::nsPerTick();
    m_from = m_to = now();
}

void ClockSync::calibrate() noexcept
{
    const Point p = now();
    // Keep intervals long enough that read jitter (tens of ns) stays below a ppm of the rate.
    if (p.ns - m_to.ns < 1'000'000)
        return;
    m_from = m_to;
    m_to = p;
    m_nsPerTick = double(m_to.ns - m_from.ns) / double(m_to.ticks - m_from.ticks);
}

std::int64_t ClockSync::toNs(std::uint64_t ticks) const noexcept
{
    const double delta = double(std::int64_t(ticks - m_from.ticks));
    return m_from.ns + std::int64_t(delta * m_nsPerTick);
}

} // namespace tl
