#include "recorder.h"

#include "chunks.h"
#include "prefaultedmemory.h"

#include <algorithm>
#include <bit>
#include <climits>
#include <thread>
#include <unistd.h>
#include <vector>

namespace tl {

namespace {
// Chunks a growing recorder may have published and not yet had back: 4096 MiB of events at the default
// chunk size, far beyond any budget a collector falls behind by.
constexpr std::uint32_t kGrowingSlots = 4096;
// Chunks the collector hands straight back to a growing recorder (still in cache, no pool lock); beyond
// these, read chunks return to the pool.
constexpr std::uint32_t kGrowingSpares = 8;
}

std::size_t RecordingBudget::machineBytes()
{
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long pageSize = sysconf(_SC_PAGESIZE);
    return pages > 0 && pageSize > 0 ? std::size_t(pages) * std::size_t(pageSize) : std::size_t(1) << 30;
}

std::size_t RecordingBudget::defaultBytes()
{
    return std::max(machineBytes() / 4, std::size_t(256) << 20);
}

namespace {
std::atomic<std::size_t> g_chosenBytes { 0 };
}

std::size_t RecordingBudget::chosenBytes()
{
    const std::size_t chosen = g_chosenBytes.load(std::memory_order_relaxed);
    return chosen > 0 ? chosen : defaultBytes();
}

void RecordingBudget::choose(std::size_t bytes)
{
    g_chosenBytes.store(bytes, std::memory_order_relaxed);
}

bool RecordingBudget::spend() noexcept
{
    std::int64_t never = 0;
    m_spentAt.compare_exchange_strong(never, clock::monotonicNs(), std::memory_order_relaxed);
    return false;
}

std::size_t Recorder::roundUpToPowerOfTwo(std::size_t n)
{
    return std::bit_ceil(std::max<std::size_t>(n, 2));
}

double Recorder::costPerEventNs()
{
    // Measured the way workers record: into a recorder that another thread drains between rounds, as the
    // collector does every tick, so each round writes to lines the drainer has read (the cost of getting them
    // back is part of a record) and hands over chunks. Median of several rounds.
    static const double cost = [] {
        constexpr int kEvents = 1 << 17;
        constexpr int kRounds = 9;
        RecordingBudget budget(std::size_t(kEvents) * kRounds * sizeof(Event) * 2);
        const auto rec = create(0, budget);
        std::vector<double> rounds;
        for (int r = 0; r < kRounds; ++r) {
            const std::int64_t start = clock::monotonicNs();
            for (int i = 0; i < kEvents; ++i)
                rec->record(EventKind::Mark, i);
            rounds.push_back(double(clock::monotonicNs() - start) / kEvents);
            std::thread([&] { rec->drain([](std::span<const Event>) {}); }).join();
        }
        std::nth_element(rounds.begin(), rounds.begin() + kRounds / 2, rounds.end());
        return rounds[kRounds / 2];
    }();
    return cost;
}

Recorder::Recorder(std::uint32_t worker, std::size_t chunkEvents, std::uint32_t slots, std::uint32_t spareSlots,
    std::uint32_t fixedChunks, RecordingBudget* budget)
    : m_chunkEvents(chunkEvents)
    , m_slots(slots)
    , m_spareSlots(spareSlots)
    , m_fixedChunks(fixedChunks)
    , m_worker(worker)
    , m_budget(budget)
{
    for (std::uint32_t i = 0; i < slots + spareSlots; ++i)
        new (m_chunks() + i) std::atomic<Offset>(0);
}

std::size_t Recorder::headerBytes(std::uint32_t slots, std::uint32_t spareSlots)
{
    const std::size_t bytes = sizeof(Recorder) + (slots + spareSlots) * sizeof(std::atomic<Offset>);
    return (bytes + 63) / 64 * 64;
}

std::size_t Recorder::bytesFor(std::size_t capacity)
{
    const std::size_t events = roundUpToPowerOfTwo(capacity);
    const std::size_t chunkEvents = std::min(events, kFixedChunkEvents);
    const auto chunks = std::uint32_t(events / chunkEvents);
    return headerBytes(chunks, chunks) + events * sizeof(Event);
}

Recorder* Recorder::build(
    void* memory, std::uint32_t worker, std::size_t chunkEvents, std::uint32_t fixedChunks, RecordingBudget* budget)
{
    const std::uint32_t slots = fixedChunks ? fixedChunks : kGrowingSlots;
    const std::uint32_t spares = fixedChunks ? fixedChunks : kGrowingSpares;
    auto* rec = new (memory) Recorder(worker, chunkEvents, slots, spares, fixedChunks, budget);
    if (fixedChunks) {
        // The first chunk is the writer's; the others wait in the spare ring.
        const auto first = Offset(headerBytes(slots, spares));
        const auto chunkBytes = Offset(chunkEvents * sizeof(Event));
        rec->m_current = first;
        for (std::uint32_t c = 1; c < fixedChunks; ++c)
            rec->recycle(first + c * chunkBytes);
    } else {
        budget->take(chunkEvents * sizeof(Event)); // charged like any other; a worker starts with one anyway
        rec->m_current = rec->freshChunk();
        if (rec->m_current == 0)
            throw std::bad_alloc();
    }
    rec->m_chunks()[0].store(rec->m_current, std::memory_order_relaxed);
    return rec;
}

Recorder* Recorder::createIn(void* memory, std::uint32_t worker, std::size_t capacity)
{
    const std::size_t events = roundUpToPowerOfTwo(capacity);
    const std::size_t chunkEvents = std::min(events, kFixedChunkEvents);
    return build(memory, worker, chunkEvents, std::uint32_t(events / chunkEvents), nullptr);
}

Recorder::Owned Recorder::create(std::uint32_t worker, std::size_t capacity)
{
    void* memory = allocatePrefaulted(bytesFor(capacity));
    return Owned(createIn(memory, worker, capacity));
}

Recorder::Owned Recorder::create(std::uint32_t worker, RecordingBudget& budget, std::size_t chunkEvents)
{
    chunkEvents = std::clamp(std::bit_floor(chunkEvents), std::size_t(2), kGrowingChunkEvents);
    void* memory = allocatePrefaulted(headerBytes(kGrowingSlots, kGrowingSpares));
    try {
        return Owned(build(memory, worker, chunkEvents, 0, &budget));
    } catch (...) {
        freePrefaulted(memory, headerBytes(kGrowingSlots, kGrowingSpares));
        throw;
    }
}

Recorder::Offset Recorder::freshChunk() noexcept
{
    try {
        return reinterpret_cast<char*>(ChunkPool::instance().take()) - reinterpret_cast<char*>(this);
    } catch (...) {
        return 0; // out of memory: the event is dropped like any other that cannot be kept
    }
}

void Recorder::recycle(Offset offset) noexcept
{
    const std::uint64_t head = m_spareHead.load(std::memory_order_relaxed);
    if (head - m_spareTail.load(std::memory_order_acquire) < m_spareSlots) {
        m_spare()[head % m_spareSlots].store(offset, std::memory_order_relaxed);
        m_spareHead.store(head + 1, std::memory_order_release);
    } else {
        ChunkPool::instance().give(chunk(offset)); // growing only: a fixed recorder's spares hold all its chunks
    }
}

bool Recorder::nextChunk(std::uint64_t ticks) noexcept
{
    const std::uint64_t next = m_chunkNumber + 1;
    Offset offset = 0;
    // The table entry the next chunk takes must have been read: the collector is at most m_slots chunks behind.
    const bool tableRoom = next - m_tail.load(std::memory_order_acquire) / m_chunkEvents < m_slots;
    if (tableRoom && (!m_budget || m_budget->take(m_chunkEvents * sizeof(Event)))) {
        const std::uint64_t spareTail = m_spareTail.load(std::memory_order_relaxed);
        if (spareTail != m_spareHead.load(std::memory_order_acquire)) {
            offset = m_spare()[spareTail % m_spareSlots].load(std::memory_order_relaxed);
            m_spareTail.store(spareTail + 1, std::memory_order_release);
        } else if (!m_fixedChunks) {
            offset = freshChunk();
        }
        if (offset == 0 && m_budget) // no chunk after all: its events will not be stored
            m_budget->giveBack(m_chunkEvents * sizeof(Event));
    }
    if (offset == 0) {
        m_unmarked.store(m_unmarked.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        m_lastDropTicks.store(ticks, std::memory_order_relaxed);
        return false;
    }
    m_chunks()[next % m_slots].store(offset, std::memory_order_relaxed);
    m_chunkNumber = next;
    m_current = offset;
    m_pos = 0;
    if (const std::uint64_t lost = m_unmarked.load(std::memory_order_relaxed); lost != 0) {
        const auto count = std::int32_t(std::min<std::uint64_t>(lost, INT32_MAX));
        chunk(m_current)[m_pos++] = { std::int64_t(ticks), count, 0, kUnknownCpu, EventKind::Lost };
        m_markedLost.store(m_markedLost.load(std::memory_order_relaxed) + lost, std::memory_order_relaxed);
        m_unmarked.store(0, std::memory_order_relaxed);
        m_head.store(m_head.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    return true;
}

void Recorder::takeOverFromDeadWriter() noexcept
{
    const std::uint64_t head = m_head.load(std::memory_order_acquire);
    const std::uint64_t first = m_chunkNumber * m_chunkEvents; // the current chunk's first event
    if (head >= first && head - first <= m_chunkEvents)
        m_pos = std::size_t(head - first);
    // Otherwise the writer died between publishing a full chunk and noting the next one: m_pos is then the
    // full chunk's end, and the next event takes a chunk as usual.
}

void Recorder::Unmap::operator()(Recorder* recorder) const noexcept
{
    std::size_t bytes = 0;
    if (recorder->m_fixedChunks) {
        bytes = headerBytes(recorder->m_slots, recorder->m_spareSlots)
            + recorder->m_fixedChunks * recorder->m_chunkEvents * sizeof(Event);
    } else {
        bytes = headerBytes(recorder->m_slots, recorder->m_spareSlots);
        // Every chunk it holds: the unread ones (the current one last) and the spares.
        const std::uint64_t firstUnread = recorder->m_tail.load() / recorder->m_chunkEvents;
        for (std::uint64_t c = firstUnread; c <= recorder->m_chunkNumber; ++c)
            ChunkPool::instance().give(recorder->chunk(recorder->m_chunks()[c % recorder->m_slots].load()));
        for (std::uint64_t s = recorder->m_spareTail.load(); s < recorder->m_spareHead.load(); ++s)
            ChunkPool::instance().give(recorder->chunk(recorder->m_spare()[s % recorder->m_spareSlots].load()));
    }
    recorder->~Recorder();
    freePrefaulted(recorder, bytes);
}

} // namespace tl
