#pragma once

#include "clock.h"
#include "event.h"

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <sched.h>
#include <span>

namespace tl {

// A single-producer / single-consumer ring of events for one worker (one writer at a time; the writer may be
// handed from one thread to another, as when a pool task starts). The worker's record() takes no lock,
// allocates nothing and makes no syscall (the TSC and rseq-backed sched_getcpu are read in user space).
// The collector drains it from its own thread. When the ring is full the event is dropped and counted, and
// the worker's next event that fits is preceded by a Lost marker carrying the count, so the lane shows a gap
// exactly where the data is missing instead of a span that bridges it.
//
// The ring's events follow this header in one block and are found from `this`, never through a pointer, so
// a recorder placed in a shared-memory segment works the same in every process that maps it: a child
// process records into it and the parent's collector drains it like any other.
class alignas(64) Recorder {
public:
    struct Unmap {
        void operator()(Recorder* recorder) const noexcept;
    };
    using Owned = std::unique_ptr<Recorder, Unmap>;
    // A recorder in its own pre-faulted private memory.
    static Owned create(std::uint32_t worker, std::size_t capacity);
    // Builds a recorder in `memory` (bytesFor(capacity) bytes, 64-byte aligned), which the caller owns.
    static Recorder* createIn(void* memory, std::uint32_t worker, std::size_t capacity);
    // A recorder another process built with createIn() in memory both map (same binary, same layout).
    static Recorder* attach(void* memory) { return std::launder(static_cast<Recorder*>(memory)); }
    static std::size_t bytesFor(std::size_t capacity);

    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    std::uint32_t worker() const noexcept { return m_worker; }
    std::size_t capacity() const noexcept { return m_mask + 1; }

    void record(EventKind kind, std::int32_t value = 0, std::uint16_t lock = 0) noexcept
    {
        put(clock::ticks(), kind, value, lock, false);
    }
    // The same, at `ticks` the caller has just read (clock::ticks()) for its own figures: one read, not two.
    void recordStamped(std::uint64_t ticks, EventKind kind, std::int32_t value = 0, std::uint16_t lock = 0) noexcept
    {
        put(ticks, kind, value, lock, false);
    }
    // An event noticed after the fact, at `ticks` (clock::ticks()); moved up to the worker's previous event
    // if that is later, so that a lane's events stay in time order.
    void recordAt(std::uint64_t ticks, EventKind kind, std::int32_t value = 0, std::uint16_t lock = 0) noexcept
    {
        put(ticks, kind, value, lock, true);
    }

private:
    void put(std::uint64_t ticks, EventKind kind, std::int32_t value, std::uint16_t lock, bool late) noexcept
    {
        // Acquire, not relaxed: the writer may change between events (a pool task records Started after the
        // submitting thread recorded Enqueued), and this orders the new writer after the previous one's events.
        // On x86 it is the same plain load.
        std::uint64_t head = m_head.load(std::memory_order_acquire);
        // Two free slots are needed: one for the event, one for a Lost marker that tells the collector where a
        // gap is. So a ring holds at most capacity - 1 events of a worker that never drops.
        if (head - m_cachedTail >= m_mask) [[unlikely]] {
            m_cachedTail = m_tail.load(std::memory_order_acquire);
            if (head - m_cachedTail >= m_mask) {
                m_unmarked.store(m_unmarked.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
                m_lastDropTicks.store(ticks, std::memory_order_relaxed);
                return;
            }
        }
        Event* const ring = events();
        if (late && head > 0) // the writer's own previous event: still in the ring, even if drained
            ticks = std::max(ticks, std::uint64_t(ring[(head - 1) & m_mask].time));
        if (const std::uint64_t lost = m_unmarked.load(std::memory_order_relaxed); lost != 0) [[unlikely]] {
            markLost(ring[head & m_mask], ticks, lost); // fits: two slots were free
            ++head;
        }
        ring[head & m_mask] = { std::int64_t(ticks), value, lock, cpuNow(), kind };
        m_head.store(head + 1, std::memory_order_release);
    }
    void markLost(Event& slot, std::uint64_t ticks, std::uint64_t lost) noexcept;
    static std::uint8_t cpuNow() noexcept
    {
        // glibc answers from the rseq area the kernel keeps up to date: no syscall.
        const int cpu = sched_getcpu();
        return cpu >= 0 && cpu < kUnknownCpu ? std::uint8_t(cpu) : kUnknownCpu;
    }

public:
    // Collector side: hands every pending event to `sink` (in one or two contiguous pieces) and frees them.
    template <typename Sink> std::size_t drain(Sink&& sink) { return drainBefore(UINT64_MAX, sink); }
    // The same for the pending events recorded before `ticks` (a ring's events are in time order); later ones
    // stay for the next drain.
    template <typename Sink> std::size_t drainBefore(std::uint64_t ticks, Sink&& sink)
    {
        const std::uint64_t tail = m_tail.load(std::memory_order_relaxed);
        const std::uint64_t head = m_head.load(std::memory_order_acquire);
        std::size_t n = head - tail;
        if (n > 0 && ticks != UINT64_MAX) {
            std::size_t lo = 0, hi = n; // the first pending event at or after `ticks`
            while (lo < hi) {
                const std::size_t mid = lo + (hi - lo) / 2;
                if (std::uint64_t(events()[(tail + mid) & m_mask].time) < ticks)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            n = lo;
        }
        if (n == 0)
            return 0;
        const std::size_t first = tail & m_mask;
        const std::size_t firstLen = std::min(n, capacity() - first);
        sink(std::span<const Event>(events() + first, firstLen));
        if (firstLen < n)
            sink(std::span<const Event>(events(), n - firstLen));
        m_tail.store(tail + n, std::memory_order_release);
        return n;
    }

    // Events the ring had no room for, in all.
    std::uint64_t dropped() const noexcept
    {
        return m_markedLost.load(std::memory_order_relaxed) + m_unmarked.load(std::memory_order_relaxed);
    }
    // Lost events not yet followed by a Lost marker (the worker has not recorded since): the collector closes
    // the lane with a gap of this many once the worker is done.
    std::uint64_t unmarkedLost() const noexcept { return m_unmarked.load(std::memory_order_relaxed); }
    // When the latest event the ring had no room for was recorded (clock ticks): where a loss that no later
    // event marks ends, e.g. a worker's Finished.
    std::uint64_t lastDroppedTicks() const noexcept { return m_lastDropTicks.load(std::memory_order_relaxed); }

    static std::size_t roundUpToPowerOfTwo(std::size_t n);
    // What one record() costs on this machine, measured once (~1 ms) on first call: the basis of the
    // recording-overhead estimate the app shows.
    static double costPerEventNs();

private:
    Recorder(std::uint32_t worker, std::size_t capacity);
    Event* events() noexcept { return reinterpret_cast<Event*>(this + 1); }

    // Writer-owned line.
    alignas(64) std::atomic<std::uint64_t> m_head { 0 };
    std::uint64_t m_cachedTail = 0;
    // Written by the writer only; atomics because the collector reads them for its totals.
    std::atomic<std::uint64_t> m_unmarked { 0 };
    std::atomic<std::uint64_t> m_markedLost { 0 };
    std::atomic<std::uint64_t> m_lastDropTicks { 0 };
    // Reader-owned line.
    alignas(64) std::atomic<std::uint64_t> m_tail { 0 };
    // Read-only after construction.
    alignas(64) std::size_t m_mask;
    std::uint32_t m_worker;
};
static_assert(sizeof(Recorder) % alignof(Event) == 0);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "shared-memory recorders need address-free atomics");

} // namespace tl
