#pragma once

// The arena: the shared memory a traced program records into (see tracee/ and core/launch/). ThreadLab
// creates it, formats it and names it in the program's environment; the tracee library, preloaded into the
// program and every process it starts, maps it and gives each thread a slot of its own: a fixed Recorder
// (core/trace/recorder.h, the same ring a child process of a scenario writes) with the thread's pid, tid and
// name beside it. Locks, and the annotation header's zones and counters, get an entry in a table each, whose
// index is the id events carry. No Qt and no allocation here: both sides include this header, and the
// tracee's side runs inside other people's programs.
//
// Layout, all offsets from the arena's start: ArenaHeader | Slot[slotCount] | LockEntry[lockCount] |
// CounterEntry[counterCount] | ExitEntry[exitCount] | the slots' recorders, recorderBytes each. Change anything here
// and bump kArenaVersion: a tracee that finds another version records nothing.

#include "../trace/event.h"
#include "../trace/recorder.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

namespace tl::abi {

inline constexpr std::uint32_t kArenaMagic = 0x544c4152; // "TLAR"
inline constexpr std::uint32_t kArenaVersion = 3;

// The environment ThreadLab gives the program, which the tracee puts back into every exec it sees.
inline constexpr char kArenaEnv[] = "THREADLAB_ARENA"; // the arena's shm_open() name, "/threadlab-…"
inline constexpr char kTraceeLibrary[] = "libthreadlab-tracee.so";

// Thread names as the kernel keeps them (TASK_COMM_LEN), and what a lock or counter name may hold.
inline constexpr std::size_t kThreadNameBytes = 16;
inline constexpr std::size_t kObjectNameBytes = 64;

enum class SlotState : std::uint32_t {
    Free, // never claimed
    Claimed, // a thread took it and is filling in pid, tid and name
    Live, // its recorder is being written
    Ended, // the thread ended (it recorded Finished first); a process that died leaves its slots Live
};

struct alignas(64) Slot {
    std::atomic<SlotState> state;
    std::int32_t pid;
    std::int32_t ppid;
    std::int32_t tid;
    // The thread's name, re-read by ThreadLab whenever `nameVersion` changes: odd while it is being written.
    std::atomic<std::uint32_t> nameVersion;
    char name[kThreadNameBytes];
    std::uint64_t recorderOffset; // from the arena's start
};

enum class ObjectKind : std::uint8_t {
    Mutex,
    RwLock,
    Semaphore,
    Condition,
    Zone, // a named zone of the annotation header
};

// A lock (or zone) as events name it: event.lock = index + 1 (0 means none). An entry is claimed by
// bumping ArenaHeader::nextLock, filled in, then marked ready; ThreadLab reads entries in index order and
// waits at the first one not ready yet.
struct alignas(64) LockEntry {
    std::atomic<std::uint32_t> ready;
    std::int32_t pid; // the process that first used it
    std::uint64_t address; // in that process (for a process-shared object, in the first one)
    ObjectKind kind;
    char name[kObjectNameBytes]; // "counter_lock", "main.c:42", "0x55d0c3a0": what the window shows
};

// A counter of the annotation header: ThreadLab samples `value` as it samples a scenario's counters.
struct alignas(64) CounterEntry {
    std::atomic<std::uint32_t> ready;
    std::int32_t pid;
    std::atomic<std::int64_t> value;
    char name[kObjectNameBytes];
};

// How a process ended, as the program that collected it learned (wait, waitpid, wait4, waitid): ThreadLab
// cannot collect another program's child itself, and /proc forgets it once collected.
struct alignas(16) ExitEntry {
    std::atomic<std::uint32_t> ready;
    std::int32_t pid;
    std::int32_t waitStatus; // as waitpid() gives it (WIFEXITED, WTERMSIG...)
    std::int32_t reserved;
};

struct alignas(64) ArenaHeader {
    std::uint32_t magic;
    std::uint32_t version;
    std::uint32_t slotCount;
    std::uint32_t lockCount;
    std::uint32_t counterCount;
    std::uint32_t exitCount;
    std::uint32_t tickSource; // clock::TickSource: what the tracee must read so that its ticks are ThreadLab's
    std::uint64_t slotEvents; // each recorder's capacity
    std::uint64_t recorderBytes; // Recorder::bytesFor(slotEvents)
    std::uint64_t slotsOffset;
    std::uint64_t locksOffset;
    std::uint64_t countersOffset;
    std::uint64_t exitsOffset;
    std::uint64_t recordersOffset;
    std::uint64_t totalBytes;
    std::int32_t launcherPid; // ThreadLab
    std::atomic<std::uint32_t> nextSlot; // slots are taken in order and never reused
    std::atomic<std::uint32_t> nextLock;
    std::atomic<std::uint32_t> nextCounter;
    std::atomic<std::uint32_t> nextExit; // past exitCount: the exits are not told (ThreadLab says "ended")
    // Threads that found no free slot (their events are missing; ThreadLab says so), and objects that found
    // no entry (their events carry lock 0).
    std::atomic<std::uint64_t> threadsWithoutSlot;
    std::atomic<std::uint64_t> objectsWithoutEntry;
    // CPython's GIL, as the tracee of any process of the run found it (bits, fetch_or: kGilTracked,
    // kGilUnknownPython); 0: no process was a CPython.
    std::atomic<std::uint32_t> pythonGil;
};

// ArenaHeader::pythonGil's bits.
inline constexpr std::uint32_t kGilTracked = 1; // a CPython 3.11: its GIL is the lock entry named kGilName
inline constexpr std::uint32_t kGilUnknownPython = 2; // a CPython of another version: its GIL is not drawn
inline constexpr char kGilName[] = "GIL";
// The Mark value of a forced GIL hand-off: a thread that dropped the GIL because another one asked for it
// (it waited its switch interval) waits until that one has taken it ("GIL" in ASCII).
inline constexpr std::int32_t kMarkGilHandOff = 0x47494c;

// Where everything is, for an arena of these sizes.
struct ArenaLayout {
    std::uint32_t slotCount;
    std::uint32_t lockCount;
    std::uint32_t counterCount;
    std::uint32_t exitCount;
    std::uint64_t slotEvents;

    static constexpr std::uint64_t alignUp(std::uint64_t n, std::uint64_t to) { return (n + to - 1) / to * to; }
    std::uint64_t slotsOffset() const { return alignUp(sizeof(ArenaHeader), 64); }
    std::uint64_t locksOffset() const { return slotsOffset() + std::uint64_t(slotCount) * sizeof(Slot); }
    std::uint64_t countersOffset() const { return locksOffset() + std::uint64_t(lockCount) * sizeof(LockEntry); }
    std::uint64_t exitsOffset() const { return countersOffset() + std::uint64_t(counterCount) * sizeof(CounterEntry); }
    std::uint64_t recordersOffset() const
    {
        return alignUp(exitsOffset() + std::uint64_t(exitCount) * sizeof(ExitEntry), 4096);
    }
    std::uint64_t recorderBytes() const { return alignUp(Recorder::bytesFor(slotEvents), 4096); }
    std::uint64_t totalBytes() const { return recordersOffset() + std::uint64_t(slotCount) * recorderBytes(); }
};

// The header of an arena in `memory` (totalBytes of mapped, zeroed memory), formatted: every slot's
// recorder built and waiting for its thread. ThreadLab's side.
inline ArenaHeader* formatArena(void* memory, const ArenaLayout& layout, std::uint32_t tickSource, std::int32_t pid)
{
    auto* header = new (memory) ArenaHeader {};
    header->magic = kArenaMagic;
    header->version = kArenaVersion;
    header->slotCount = layout.slotCount;
    header->lockCount = layout.lockCount;
    header->counterCount = layout.counterCount;
    header->exitCount = layout.exitCount;
    header->tickSource = tickSource;
    header->slotEvents = layout.slotEvents;
    header->recorderBytes = layout.recorderBytes();
    header->slotsOffset = layout.slotsOffset();
    header->locksOffset = layout.locksOffset();
    header->countersOffset = layout.countersOffset();
    header->exitsOffset = layout.exitsOffset();
    header->recordersOffset = layout.recordersOffset();
    header->totalBytes = layout.totalBytes();
    header->launcherPid = pid;
    char* base = static_cast<char*>(memory);
    for (std::uint32_t i = 0; i < layout.slotCount; ++i) {
        auto* slot = new (base + layout.slotsOffset() + i * sizeof(Slot)) Slot {};
        slot->recorderOffset = layout.recordersOffset() + i * layout.recorderBytes();
        Recorder::createIn(base + slot->recorderOffset, i, layout.slotEvents);
    }
    for (std::uint32_t i = 0; i < layout.lockCount; ++i)
        new (base + layout.locksOffset() + i * sizeof(LockEntry)) LockEntry {};
    for (std::uint32_t i = 0; i < layout.counterCount; ++i)
        new (base + layout.countersOffset() + i * sizeof(CounterEntry)) CounterEntry {};
    for (std::uint32_t i = 0; i < layout.exitCount; ++i)
        new (base + layout.exitsOffset() + i * sizeof(ExitEntry)) ExitEntry {};
    return header;
}

// Both sides: the parts of a mapped arena, checked against its own header (a tracee trusts nothing else).
class ArenaView {
public:
    ArenaView() = default;
    ArenaView(void* memory, std::uint64_t mappedBytes)
    {
        auto* header = static_cast<ArenaHeader*>(memory);
        if (mappedBytes < sizeof(ArenaHeader) || header->magic != kArenaMagic || header->version != kArenaVersion
            || header->totalBytes > mappedBytes)
            return;
        const ArenaLayout layout { header->slotCount, header->lockCount, header->counterCount, header->exitCount,
            header->slotEvents };
        if (layout.totalBytes() != header->totalBytes || layout.slotsOffset() != header->slotsOffset
            || layout.locksOffset() != header->locksOffset || layout.countersOffset() != header->countersOffset
            || layout.exitsOffset() != header->exitsOffset || layout.recordersOffset() != header->recordersOffset
            || layout.recorderBytes() != header->recorderBytes)
            return;
        m_header = header;
    }
    bool valid() const { return m_header != nullptr; }
    ArenaHeader& header() const { return *m_header; }
    Slot& slot(std::uint32_t i) const { return at<Slot>(m_header->slotsOffset + i * sizeof(Slot)); }
    LockEntry& lock(std::uint32_t i) const { return at<LockEntry>(m_header->locksOffset + i * sizeof(LockEntry)); }
    CounterEntry& counter(std::uint32_t i) const
    {
        return at<CounterEntry>(m_header->countersOffset + i * sizeof(CounterEntry));
    }
    ExitEntry& exit(std::uint32_t i) const { return at<ExitEntry>(m_header->exitsOffset + i * sizeof(ExitEntry)); }
    Recorder& recorder(const Slot& s) const
    {
        return *Recorder::attach(reinterpret_cast<char*>(m_header) + s.recorderOffset);
    }
    // The recorder's memory, for RunContext::addWorkerIn-like registration on ThreadLab's side.
    void* recorderMemory(const Slot& s) const { return reinterpret_cast<char*>(m_header) + s.recorderOffset; }

private:
    template <typename T> T& at(std::uint64_t offset) const
    {
        return *std::launder(reinterpret_cast<T*>(reinterpret_cast<char*>(m_header) + offset));
    }
    ArenaHeader* m_header = nullptr;
};

// Copies at most n-1 bytes of a C string and ends it (names cut to their field).
inline void copyName(char* to, std::size_t n, const char* from)
{
    std::size_t i = 0;
    for (; from && i + 1 < n && from[i]; ++i)
        to[i] = from[i];
    to[i] = '\0';
}

} // namespace tl::abi
