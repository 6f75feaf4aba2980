#include "recorder.h"

#include "prefaultedmemory.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <thread>
#include <vector>

namespace tl {

std::size_t Recorder::roundUpToPowerOfTwo(std::size_t n)
{
    return std::bit_ceil(std::max<std::size_t>(n, 2));
}

double Recorder::costPerEventNs()
{
    // Measured the way workers record: into a ring that another thread drains between rounds, as the collector
    // does every tick, so each round writes to lines the drainer has read (the cost of getting them back is
    // part of a record). Median of several rounds.
    static const double cost = [] {
        constexpr int kEvents = 1 << 15;
        constexpr int kRounds = 9;
        const auto ring = create(0, kEvents * 4);
        std::vector<double> rounds;
        for (int r = 0; r < kRounds; ++r) {
            const std::int64_t start = clock::monotonicNs();
            for (int i = 0; i < kEvents; ++i)
                ring->record(EventKind::Mark, i);
            rounds.push_back(double(clock::monotonicNs() - start) / kEvents);
            std::thread([&] { ring->drain([](std::span<const Event>) {}); }).join();
        }
        std::nth_element(rounds.begin(), rounds.begin() + kRounds / 2, rounds.end());
        return rounds[kRounds / 2];
    }();
    return cost;
}

void Recorder::markLost(Event& slot, std::uint64_t ticks, std::uint64_t lost) noexcept
{
    const auto count = std::int32_t(std::min<std::uint64_t>(lost, INT32_MAX));
    slot = { std::int64_t(ticks), count, 0, kUnknownCpu, EventKind::Lost };
    m_markedLost.store(m_markedLost.load(std::memory_order_relaxed) + lost, std::memory_order_relaxed);
    m_unmarked.store(0, std::memory_order_relaxed);
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
