#include "recorder.h"

#include <bit>

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
    : m_buffer(roundUpToPowerOfTwo(capacity))
    , m_events(m_buffer.data())
    , m_mask(roundUpToPowerOfTwo(capacity) - 1)
    , m_worker(worker)
{
}

} // namespace tl
