#include "recorder.h"

#include <bit>
#include <cstring>

namespace tl {

std::size_t Recorder::roundUpToPowerOfTwo(std::size_t n)
{
    return std::bit_ceil(std::max<std::size_t>(n, 2));
}

double Recorder::costPerEventNs()
{
    static const double cost = [] {
        constexpr int kEvents = 1 << 16;
        Recorder scratch(0, kEvents);
        const std::int64_t start = clock::monotonicNs();
        for (int i = 0; i < kEvents; ++i)
            scratch.record(EventKind::Mark, i);
        return double(clock::monotonicNs() - start) / kEvents;
    }();
    return cost;
}

Recorder::Recorder(std::uint32_t worker, std::size_t capacity)
    : m_events(new Event[roundUpToPowerOfTwo(capacity)])
    , m_mask(roundUpToPowerOfTwo(capacity) - 1)
    , m_worker(worker)
{
    // Touch every page now so the hot path never takes a first-touch page fault.
    std::memset(static_cast<void*>(m_events.get()), 0, sizeof(Event) * (m_mask + 1));
}

} // namespace tl
