#include "recorder.h"

#include "prefaultedmemory.h"

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
        const auto scratch = create(0, kEvents);
        const std::int64_t start = clock::monotonicNs();
        for (int i = 0; i < kEvents; ++i)
            scratch->record(EventKind::Mark, i);
        return double(clock::monotonicNs() - start) / kEvents;
    }();
    return cost;
}

Recorder::Recorder(std::uint32_t worker, std::size_t capacity)
    : m_mask(roundUpToPowerOfTwo(capacity) - 1)
    , m_worker(worker)
{
}

std::size_t Recorder::bytesFor(std::size_t capacity)
{
    return sizeof(Recorder) + roundUpToPowerOfTwo(capacity) * sizeof(Event);
}

Recorder* Recorder::createIn(void* memory, std::uint32_t worker, std::size_t capacity)
{
    return new (memory) Recorder(worker, capacity);
}

Recorder::Owned Recorder::create(std::uint32_t worker, std::size_t capacity)
{
    return Owned(createIn(allocatePrefaulted(bytesFor(capacity)), worker, capacity));
}

void Recorder::Unmap::operator()(Recorder* recorder) const noexcept
{
    const std::size_t bytes = bytesFor(recorder->capacity());
    recorder->~Recorder();
    freePrefaulted(recorder, bytes);
}

} // namespace tl
