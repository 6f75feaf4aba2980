#pragma once

#include "clock.h"
#include "event.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <sched.h>
#include <span>

namespace tl {

// The run's memory for events, shared by its in-process recorders: each chunk a writer starts is charged
// what its events will take once stored. Events are dropped only when it is spent. Visible and settable
// (--recording-memory, the window's Run menu); by default a quarter of the machine's RAM.
class RecordingBudget {
public:
    explicit RecordingBudget(std::size_t bytes)
        : m_bytes(bytes)
        , m_left(std::int64_t(bytes))
    {
    }
    // A quarter of physical memory, at least 256 MiB: a run may hold that many events and still leave room
    // for its spans (24 bytes each, about one per event) and the programs beside it.
    static std::size_t defaultBytes();
    // What a user may choose: from kMinBytes to the machine's RAM.
    static constexpr std::size_t kMinBytes = std::size_t(16) << 20;
    static std::size_t machineBytes();
    // What runs are given: the user's choice (CLI --recording-memory, the window's setting) or the default.
    static std::size_t chosenBytes();
    static void choose(std::size_t bytes); // 0: the default again
    bool take(std::size_t bytes) noexcept
    {
        if (m_left.load(std::memory_order_relaxed) < std::int64_t(bytes))
            return spend();
        if (m_left.fetch_sub(std::int64_t(bytes), std::memory_order_relaxed) >= std::int64_t(bytes))
            return true;
        m_left.fetch_add(std::int64_t(bytes), std::memory_order_relaxed);
        return spend();
    }
    void giveBack(std::size_t bytes) noexcept { m_left.fetch_add(std::int64_t(bytes), std::memory_order_relaxed); }
    std::size_t bytes() const noexcept { return m_bytes; }
    std::size_t used() const noexcept { return m_bytes - std::size_t(std::max<std::int64_t>(0, m_left.load())); }
    // When a writer first found it spent (CLOCK_MONOTONIC ns), 0 if never.
    std::int64_t spentAtNs() const noexcept { return m_spentAt.load(std::memory_order_relaxed); }

private:
    bool spend() noexcept;
    const std::size_t m_bytes;
    std::atomic<std::int64_t> m_left;
    std::atomic<std::int64_t> m_spentAt { 0 };
};

// One worker's events, written by the worker (one writer at a time; the writer may be handed from one thread
// to another, as when a pool task starts) into chunks it hands over whole, as Tracy and JFR do: when its
// chunk is full the writer publishes it and takes the next, recycled by the collector or fresh from the
// pre-faulted ChunkPool. So however late the collector drains, nothing is dropped while the RecordingBudget
// lasts. record() takes no lock, allocates nothing and makes no syscall (the TSC and rseq-backed
// sched_getcpu are read in user space); once per chunk it takes the next one (a few atomics, rarely a
// mutex). When no chunk can be had the event is dropped and counted, and the worker's next kept event is
// preceded by a Lost marker carrying the count, so the lane shows a gap exactly where the data is missing.
//
// Two kinds: growing (in-process workers: chunks from the pool, as many as the budget allows) and fixed (a
// set of chunks in one block, recycled: a child process's recorder in a shared segment, or any recorder in
// tests that force losses). Chunks are found by their offset from `this`, never through a pointer, so a
// recorder placed in a shared-memory segment works the same in every process that maps it.
class alignas(64) Recorder {
public:
    struct Unmap {
        void operator()(Recorder* recorder) const noexcept;
    };
    using Owned = std::unique_ptr<Recorder, Unmap>;
    static constexpr std::size_t kGrowingChunkEvents = std::size_t(1) << 16; // one ChunkPool chunk, 1 MiB
    static constexpr std::size_t kFixedChunkEvents = std::size_t(1) << 12;

    // A growing recorder charging `budget` (which must outlive it); `chunkEvents` (a power of two, 2 to
    // kGrowingChunkEvents) is smaller only in tests.
    static Owned create(std::uint32_t worker, RecordingBudget& budget, std::size_t chunkEvents = kGrowingChunkEvents);
    // A fixed recorder of `capacity` events (rounded up to a power of two) in its own pre-faulted memory.
    static Owned create(std::uint32_t worker, std::size_t capacity);
    // Builds a fixed recorder in `memory` (bytesFor(capacity) bytes, 64-byte aligned), which the caller owns.
    static Recorder* createIn(void* memory, std::uint32_t worker, std::size_t capacity);
    // A recorder another process built with createIn() in memory both map (same binary, same layout).
    static Recorder* attach(void* memory) { return std::launder(static_cast<Recorder*>(memory)); }
    static std::size_t bytesFor(std::size_t capacity);

    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    std::uint32_t worker() const noexcept { return m_worker; }
    // For a recorder another process built (a traced program's): the lane it is in this run. Set before the
    // collector first reads it; the writer never reads it.
    void assignWorker(std::uint32_t worker) noexcept { m_worker = worker; }
    // Events a fixed recorder holds undrained at most; 0 for a growing one (no bound but the budget).
    std::size_t capacity() const noexcept { return m_fixedChunks * m_chunkEvents; }
    std::size_t chunkEvents() const noexcept { return m_chunkEvents; }

    void record(EventKind kind, std::int32_t value = 0, std::uint16_t lock = 0) noexcept
    {
        put(clock::ticks(), kind, value, lock);
    }
    // The same, at `ticks` the caller has just read (clock::ticks()) for its own figures: one read, not two.
    void recordStamped(std::uint64_t ticks, EventKind kind, std::int32_t value = 0, std::uint16_t lock = 0) noexcept
    {
        put(ticks, kind, value, lock);
    }
    // Makes this process the writer of a fixed recorder whose writer was another process that has died
    // (reaped, so its last stores are visible here). Killed inside record(), it may have stored an event it
    // never published, or taken a chunk it never used: the position is set back to what it published, so
    // the next event lands right after the last one the collector can see, never beyond it.
    void takeOverFromDeadWriter() noexcept;
    // An event noticed after the fact, at `ticks` (clock::ticks()); moved up to the worker's previous event
    // if that is later, so that a lane's events stay in time order.
    void recordAt(std::uint64_t ticks, EventKind kind, std::int32_t value = 0, std::uint16_t lock = 0) noexcept
    {
        put(std::max(ticks, m_lastTicks), kind, value, lock);
    }

private:
    void put(std::uint64_t ticks, EventKind kind, std::int32_t value, std::uint16_t lock) noexcept
    {
        if (m_pos == m_chunkEvents) [[unlikely]] {
            if (!nextChunk(ticks))
                return;
        }
        chunk(m_current)[m_pos++] = { std::int64_t(ticks), value, lock, cpuNow(), kind };
        m_lastTicks = ticks;
        // Release: the collector that sees the new head sees the event (and the chunk table entry before it).
        m_head.store(m_head.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    }
    // Publishes the full chunk and takes the next one; false (the event is dropped and counted) if none can
    // be had. A Lost marker for the events dropped meanwhile opens the new chunk.
    bool nextChunk(std::uint64_t ticks) noexcept;
    static std::uint8_t cpuNow() noexcept
    {
        // glibc answers from the rseq area the kernel keeps up to date: no syscall.
        const int cpu = sched_getcpu();
        return cpu >= 0 && cpu < kUnknownCpu ? std::uint8_t(cpu) : kUnknownCpu;
    }

public:
    // Collector side: hands every pending event to `sink` (in contiguous pieces, one per chunk) and frees them.
    template <typename Sink> std::size_t drain(Sink&& sink) { return drainBefore(UINT64_MAX, sink); }
    // The same for the pending events recorded before `ticks` (a recorder's events are in time order); later
    // ones stay for the next drain.
    template <typename Sink> std::size_t drainBefore(std::uint64_t ticks, Sink&& sink)
    {
        const std::uint64_t tail = m_tail.load(std::memory_order_relaxed);
        const std::uint64_t head = m_head.load(std::memory_order_acquire);
        std::uint64_t end = head;
        if (end > tail && ticks != UINT64_MAX) {
            std::uint64_t lo = tail, hi = head; // the first pending event at or after `ticks`
            while (lo < hi) {
                const std::uint64_t mid = lo + (hi - lo) / 2;
                if (std::uint64_t(eventAt(mid).time) < ticks)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            end = lo;
        }
        if (end == tail)
            return 0;
        for (std::uint64_t i = tail; i < end;) {
            const std::uint64_t pieceEnd = std::min(end, (i / m_chunkEvents + 1) * m_chunkEvents);
            sink(std::span<const Event>(&eventAt(i), pieceEnd - i));
            i = pieceEnd;
        }
        // Every chunk now read to its end goes back to the writer (it was full, so the writer is past it);
        // before the tail moves, which lets the writer reuse the chunks' entries in the table.
        for (std::uint64_t c = tail / m_chunkEvents; (c + 1) * m_chunkEvents <= end; ++c)
            recycle(m_chunks()[c % m_slots].load(std::memory_order_relaxed));
        m_tail.store(end, std::memory_order_release);
        return std::size_t(end - tail);
    }
    // Events recorded and not yet drained: how far the collector is behind.
    std::uint64_t pending() const noexcept
    {
        return m_head.load(std::memory_order_acquire) - m_tail.load(std::memory_order_relaxed);
    }
    // The oldest pending event's time (clock ticks), or UINT64_MAX when none is pending. Collector side.
    std::uint64_t oldestPendingTicks() const noexcept
    {
        const std::uint64_t tail = m_tail.load(std::memory_order_relaxed);
        return m_head.load(std::memory_order_acquire) > tail ? std::uint64_t(eventAt(tail).time) : UINT64_MAX;
    }

    // Events that could not be kept, in all.
    std::uint64_t dropped() const noexcept
    {
        return m_markedLost.load(std::memory_order_relaxed) + m_unmarked.load(std::memory_order_relaxed);
    }
    // Lost events not yet followed by a Lost marker (the worker has not recorded since): the collector closes
    // the lane with a gap of this many once the worker is done.
    std::uint64_t unmarkedLost() const noexcept { return m_unmarked.load(std::memory_order_relaxed); }
    // When the latest event that could not be kept was recorded (clock ticks): where a loss that no later
    // event marks ends, e.g. a worker's Finished.
    std::uint64_t lastDroppedTicks() const noexcept { return m_lastDropTicks.load(std::memory_order_relaxed); }

    static std::size_t roundUpToPowerOfTwo(std::size_t n);
    // What one record() costs on this machine, measured once (~1 ms) on first call: the basis of the
    // recording-overhead estimate the app shows.
    static double costPerEventNs();

private:
    Recorder(std::uint32_t worker, std::size_t chunkEvents, std::uint32_t slots, std::uint32_t spareSlots,
        std::uint32_t fixedChunks, RecordingBudget* budget);
    static std::size_t headerBytes(std::uint32_t slots, std::uint32_t spareSlots);
    static Recorder* build(void* memory, std::uint32_t worker, std::size_t chunkEvents, std::uint32_t fixedChunks,
        RecordingBudget* budget);

    using Offset = std::int64_t; // of a chunk, from `this`
    Event* chunk(Offset offset) noexcept { return reinterpret_cast<Event*>(reinterpret_cast<char*>(this) + offset); }
    const Event* chunk(Offset offset) const noexcept
    {
        return reinterpret_cast<const Event*>(reinterpret_cast<const char*>(this) + offset);
    }
    // The chunk table: chunk number c (events c*chunkEvents onwards) is at m_chunks()[c % m_slots]. Written by
    // the writer before it publishes the chunk's first event.
    std::atomic<Offset>* m_chunks() noexcept { return reinterpret_cast<std::atomic<Offset>*>(this + 1); }
    const std::atomic<Offset>* m_chunks() const noexcept
    {
        return reinterpret_cast<const std::atomic<Offset>*>(this + 1);
    }
    // Chunks the collector has read, for the writer to fill again: a single-producer ring of offsets.
    std::atomic<Offset>* m_spare() noexcept { return m_chunks() + m_slots; }
    const Event& eventAt(std::uint64_t i) const noexcept
    {
        return chunk(m_chunks()[(i / m_chunkEvents) % m_slots].load(std::memory_order_relaxed))[i % m_chunkEvents];
    }
    void recycle(Offset offset) noexcept;
    Offset freshChunk() noexcept; // from the pool, for a growing recorder; 0 when out of memory

    // Writer-owned line.
    alignas(64) std::atomic<std::uint64_t> m_head { 0 }; // events published
    std::size_t m_pos = 0; // in the current chunk
    Offset m_current = 0; // the current chunk
    std::uint64_t m_chunkNumber = 0; // the current chunk's
    std::uint64_t m_lastTicks = 0; // of the writer's previous event
    std::atomic<std::uint64_t> m_spareTail { 0 };
    // Written by the writer only; atomics because the collector reads them for its totals.
    std::atomic<std::uint64_t> m_unmarked { 0 };
    std::atomic<std::uint64_t> m_markedLost { 0 };
    std::atomic<std::uint64_t> m_lastDropTicks { 0 };
    // Reader-owned line.
    alignas(64) std::atomic<std::uint64_t> m_tail { 0 };
    std::atomic<std::uint64_t> m_spareHead { 0 };
    // Read-only after construction.
    alignas(64) std::size_t m_chunkEvents;
    std::uint32_t m_slots;
    std::uint32_t m_spareSlots;
    std::uint32_t m_fixedChunks; // 0: growing
    std::uint32_t m_worker;
    RecordingBudget* m_budget; // growing only; in this process
};
static_assert(sizeof(Recorder) % alignof(Event) == 0);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared-memory recorders need address-free atomics");

} // namespace tl
