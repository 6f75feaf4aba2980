#include "clock.h"

#include <QByteArray>
#include <QtGlobal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace tl {

bool clock::hasInvariantTsc()
{
#if defined(__x86_64__) || defined(__i386__)
    std::ifstream source("/sys/devices/system/clocksource/clocksource0/current_clocksource");
    std::string name;
    source >> name;
    if (name == "tsc")
        return true;
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("flags", 0) != 0)
            continue;
        std::istringstream words(line.substr(line.find(':') + 1));
        std::set<std::string> flags;
        for (std::string w; words >> w;)
            flags.insert(w);
        return flags.count("constant_tsc") && flags.count("nonstop_tsc");
    }
#endif
    return false;
}

clock::TickSource clock::tickSource()
{
    static const TickSource source = [] {
        if (qgetenv("THREADLAB_CLOCK") == "monotonic") // qgetenv takes Qt's lock on the environment
            return TickSource::Monotonic;
        return hasInvariantTsc() ? TickSource::Tsc : TickSource::Monotonic;
    }();
    return source;
}

const char* clock::tickSourceName(TickSource source)
{
    return source == TickSource::Tsc ? "tsc" : "clock_monotonic";
}

const bool clock::detail::useTsc = clock::tickSource() == clock::TickSource::Tsc;

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

ClockSync::Point ClockSync::now() const noexcept
{
    // Bracket the ns read with two tick reads and take their midpoint, which halves the read skew. A
    // bracket the thread was preempted in is wide: of a few tries, keep the narrowest.
    Point best {};
    std::uint64_t narrowest = UINT64_MAX;
    for (int tries = 0; tries < 4; ++tries) {
        const std::uint64_t before = clock::read(m_source);
        const std::int64_t ns = clock::monotonicNs();
        const std::uint64_t after = clock::read(m_source);
        if (after - before < narrowest) {
            narrowest = after - before;
            best = { before + (after - before) / 2, ns };
        }
    }
    return best;
}

ClockSync::ClockSync(clock::TickSource source)
    : m_source(source)
{
    // Start from the process-wide rate so events recorded before the second calibration map sensibly.
    m_nsPerTick = source == clock::tickSource() ? clock::nsPerTick() : 1.0;
    m_from = m_to = now();
    if (source != clock::tickSource() && source == clock::TickSource::Tsc) {
        // A TSC sync in a process that ticks on CLOCK_MONOTONIC (tests): measure its own first rate.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const Point p = now();
        m_nsPerTick = double(p.ns - m_from.ns) / double(p.ticks - m_from.ticks);
    }
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
