// The arena mapping, slots and the environment kept for exec: the library's start-up (see README.md).
#include "tracee.h"

#include "exec.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// clock.cpp (which needs Qt) is not part of the library, and ticks() must read what ThreadLab's arena says
// it reads, so that the program's events are in ThreadLab's ticks. clock.h declares the flag const; here it
// is defined under the same (mangled) name as writable storage, set by initialize() before anything is
// recorded: a const definition would be set by a dynamic initialiser whose order against the constructor
// above is not guaranteed, and the main thread's Started would be stamped with the wrong clock.
__attribute__((visibility("hidden"))) bool g_useTscStorage asm("_ZN2tl5clock6detail6useTscE") = false;

namespace tl::tracee {

__thread ThreadState t_state __attribute__((tls_model("initial-exec")));
bool g_active = false;
abi::ArenaView g_view;

namespace {

std::atomic<int> g_initState { 0 }; // 0 not yet, 1 under way, 2 done

// pthread_t of each slot this process's threads hold (for naming another thread); beyond it, unknown.
constexpr std::uint32_t kKnownThreads = 8192;
std::atomic<unsigned long> g_threadOf[kKnownThreads];

void mapArena(const char* name) noexcept
{
    // shm_open itself is not interposed; neither are open/fstat/mmap: no event can come from here.
    const int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return;
    struct stat st { };
    void* memory = MAP_FAILED;
    if (fstat(fd, &st) == 0 && std::uint64_t(st.st_size) >= sizeof(abi::ArenaHeader))
        memory = mmap(nullptr, std::size_t(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd); // the mapping stays: a program that closes every descriptor still records
    if (memory == MAP_FAILED)
        return;
    abi::ArenaView view(memory, std::uint64_t(st.st_size));
    if (!view.valid()) {
        munmap(memory, std::size_t(st.st_size));
        return;
    }
    g_view = view;
#if defined(__x86_64__) || defined(__i386__)
    g_useTscStorage = view.header().tickSource == std::uint32_t(clock::TickSource::Tsc);
#endif
}

void forkChildHandler() noexcept
{
    // Any fork (ours, or one inside the C library that runs the handlers): the forking thread's slot is
    // its parent's. The child claims its own at its first event; the fork() wrapper claims it at once.
    ThreadState& t = t_state;
    t.rec = nullptr;
    t.claim = kUnclaimed;
    t.zoneDepth = 0;
    t.ended = 0;
    forgetThreads();
    gilAfterFork(t);
}

} // namespace

void initialize() noexcept
{
    int expected = 0;
    if (!g_initState.compare_exchange_strong(expected, 1))
        return;
    ThreadState& t = t_state;
    Inside inside(t);
    // Every real function now, even untraced: an exec wrapper may first run in a vfork child.
    resolveWrappers();
    resolveExec();
    resolveWaits();
    const char* arena = getenv(abi::kArenaEnv);
    if (arena && *arena) {
        keepEnvironment(arena, getenv("LD_PRELOAD"));
        mapArena(arena);
    }
    g_initState.store(2);
    if (g_view.valid()) {
        pthread_atfork(nullptr, nullptr, forkChildHandler);
        detectPython();
        g_active = true;
        claimSlot(t);
        rememberThread(t.slot, pthread_self());
    }
}

bool claimSlot(ThreadState& t) noexcept
{
    auto& header = g_view.header();
    std::uint32_t index = header.nextSlot.load(std::memory_order_relaxed);
    do {
        if (index >= header.slotCount) {
            header.threadsWithoutSlot.fetch_add(1, std::memory_order_relaxed);
            t.claim = kNoSlot;
            return false;
        }
    } while (!header.nextSlot.compare_exchange_weak(index, index + 1, std::memory_order_acq_rel));
    abi::Slot& slot = g_view.slot(index);
    auto free = abi::SlotState::Free;
    if (!slot.state.compare_exchange_strong(free, abi::SlotState::Claimed, std::memory_order_acq_rel)) {
        header.threadsWithoutSlot.fetch_add(1, std::memory_order_relaxed);
        t.claim = kNoSlot;
        return false;
    }
    slot.pid = std::int32_t(getpid());
    slot.ppid = std::int32_t(getppid());
    slot.tid = std::int32_t(syscall(SYS_gettid));
    char name[abi::kThreadNameBytes] = {};
    // The raw system call: the prctl() wrapper would take this for a rename.
    syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
    setSlotName(index, name);
    t.rec = &g_view.recorder(slot);
    t.slot = index;
    t.claim = kClaimed;
    t.ended = 0;
    slot.state.store(abi::SlotState::Live, std::memory_order_release);
    // ThreadLab follows the thread's context switches once it has seen this slot, a few milliseconds from
    // now: until the kernel's first record, whether the thread has a CPU is unknown, and its lane says so
    // rather than drawing it running while it may be asleep.
    const std::uint64_t now = clock::ticks();
    t.rec->recordStamped(now, EventKind::Started);
    t.rec->recordStamped(now, EventKind::SwitchOut, kSwitchRecordsMayStop);
    return true;
}

Recorder* claimLazily(ThreadState& t) noexcept
{
    if (t.claim == kUnclaimed && claimSlot(t)) // a thread no wrapper saw start (raw clone, or before us)
        return t.rec;
    return nullptr;
}

void endThread(ThreadState& t) noexcept
{
    if (t.claim != kClaimed || t.ended)
        return;
    t.rec->record(EventKind::Finished);
    t.ended = 1;
    if (t.slot < kKnownThreads)
        g_threadOf[t.slot].store(0, std::memory_order_relaxed);
    g_view.slot(t.slot).state.store(abi::SlotState::Ended, std::memory_order_release);
    t.claim = kNoSlot; // anything the thread still does (TLS destructors) goes unrecorded
    t.rec = nullptr;
}

void setSlotName(std::uint32_t index, const char* name) noexcept
{
    abi::Slot& slot = g_view.slot(index);
    slot.nameVersion.fetch_add(1, std::memory_order_acq_rel); // odd: being written
    std::atomic_signal_fence(std::memory_order_seq_cst);
    abi::copyName(slot.name, sizeof slot.name, name);
    slot.nameVersion.fetch_add(1, std::memory_order_release);
}

void rememberThread(std::uint32_t slot, unsigned long thread) noexcept
{
    if (slot < kKnownThreads)
        g_threadOf[slot].store(thread, std::memory_order_relaxed);
}

void forgetThreads() noexcept
{
    for (auto& thread : g_threadOf)
        thread.store(0, std::memory_order_relaxed);
}

void* nextSymbol(const char* name, const char* version) noexcept
{
    ThreadState& t = t_state;
    ++t.resolving;
    void* symbol = version ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
    --t.resolving;
    return symbol;
}

std::uint32_t slotOfThread(unsigned long thread) noexcept
{
    const std::uint32_t used = std::min(g_view.header().nextSlot.load(std::memory_order_acquire), kKnownThreads);
    const std::int32_t pid = std::int32_t(getpid());
    for (std::uint32_t i = 0; i < used; ++i)
        if (g_threadOf[i].load(std::memory_order_relaxed) == thread && g_view.slot(i).pid == pid)
            return i;
    return UINT32_MAX;
}

namespace {
// The first thing the library does when loaded (before main; other libraries' constructors may already
// have run, and their calls passed through).
__attribute__((constructor)) void onLoad()
{
    initialize();
}
}

} // namespace tl::tracee
