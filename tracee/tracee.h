#pragma once

// The tracee library's insides, shared by its files (see README.md for what it does and why). Nothing here
// is exported: the library is built with -fvisibility=hidden and only the interposed C functions and the
// annotation table are visible to the program.

#include <abi/arena.h>
#include <trace/recorder.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <pthread.h>

namespace tl::tracee {

#define TL_EXPORT __attribute__((visibility("default")))

// What each thread of the traced program carries, in initial-exec TLS: __tls_get_addr (the general model)
// may call malloc, and malloc may lock, which would come back here (uftrace PR #704).
struct ThreadState {
    Recorder* rec; // the slot's recorder; null until claimed
    std::uint32_t slot;
    std::uint8_t claim; // kUnclaimed, kClaimed or kNoSlot
    std::uint8_t inside; // re-entry guard: the library's own calls, and anything under a wrapper, pass through
    std::uint8_t zoneDepth;
    std::uint8_t ended; // Finished recorded (pthread_exit before the trampoline unwinds)
    std::uint8_t resolving; // inside dlsym: a lock taken there is faked (mutrace), its real function unknown yet
    std::uint16_t zones[32]; // the open annotation zones' lock ids
    // The last object this thread locked and its id: a lock+unlock pair looks its id up once, not twice.
    const void* lastObject;
    std::uint16_t lastId;
    // CPython's GIL (python.cpp): where this thread is in take_gil/drop_gil, and whether it is inside
    // gil.mutex (the mutex that guards the GIL's state, held for nanoseconds).
    std::uint8_t gil; // kGilOut, kGilTaking, kGilHolding
    std::uint8_t inGilMutex;
};
inline constexpr std::uint8_t kGilOut = 0;
inline constexpr std::uint8_t kGilTaking = 1;
inline constexpr std::uint8_t kGilHolding = 2;
inline constexpr std::uint8_t kUnclaimed = 0;
inline constexpr std::uint8_t kClaimed = 1;
inline constexpr std::uint8_t kNoSlot = 2;

extern __thread ThreadState t_state __attribute__((tls_model("initial-exec")));

// True once the constructor mapped a valid arena: every wrapper tests this first and calls through if not.
extern bool g_active;
extern abi::ArenaView g_view;

// The next definition of a function (the C library's), looked up with dlsym(RTLD_NEXT) on first use, or
// dlvsym for a versioned one (pthread_cond_*: GLIBC_2.3.2, not the 2.2.5 compatibility ABI). Null while
// this thread is inside that very lookup: the caller then fakes the call (dlsym may lock a mutex).
void* nextSymbol(const char* name, const char* version) noexcept;
template <typename F> class Real {
public:
    constexpr explicit Real(const char* name, const char* version = nullptr)
        : m_name(name)
        , m_version(version)
    {
    }
    F* get() noexcept
    {
        F* f = m_fn.load(std::memory_order_relaxed);
        return f ? f : load();
    }
    F* load() noexcept
    {
        if (t_state.resolving)
            return nullptr;
        F* f = reinterpret_cast<F*>(nextSymbol(m_name, m_version));
        m_fn.store(f, std::memory_order_relaxed);
        return f;
    }

private:
    std::atomic<F*> m_fn { nullptr };
    const char* m_name;
    const char* m_version;
};
// Looks up every wrapper's real function now (from the constructor), so that none is looked up later in a
// vfork child or a signal handler.
void resolveWrappers() noexcept;
void resolveExec() noexcept;
void resolveWaits() noexcept;

// Holds the re-entry guard for a scope.
struct Inside {
    explicit Inside(ThreadState& t) noexcept
        : state(t)
    {
        ++state.inside;
    }
    ~Inside() { --state.inside; }
    Inside(const Inside&) = delete;
    Inside& operator=(const Inside&) = delete;
    ThreadState& state;
};

// Maps the arena named by THREADLAB_ARENA (once; later calls return at once) and keeps the environment the
// exec wrappers put back.
void initialize() noexcept;
// This thread's recorder, claiming a slot (and recording Started) first if it has none: null when the
// arena is full or the thread has ended.
Recorder* claimLazily(ThreadState& t) noexcept;
inline Recorder* recorder(ThreadState& t) noexcept
{
    if (t.claim == kClaimed) [[likely]]
        return t.rec;
    return claimLazily(t);
}
// Claims a slot for the calling thread of the calling process and records Started; false if none is left.
bool claimSlot(ThreadState& t) noexcept;
// Ends the calling thread's lane: Finished, then the slot Ended.
void endThread(ThreadState& t) noexcept;
// Remembers which pthread_t owns slot `slot` in this process (for pthread_setname_np on another thread).
void rememberThread(std::uint32_t slot, unsigned long thread) noexcept;
void forgetThreads() noexcept; // in a fork child: only the forking thread is left
// Writes a slot's name under its seqlock.
void setSlotName(std::uint32_t slot, const char* name) noexcept;
// The slot of another thread of this process, or UINT32_MAX.
std::uint32_t slotOfThread(unsigned long thread) noexcept;

// Lock ids: event.lock for the object at `address`, registering it (named after its symbol, or the call
// site `caller` that first used it) on first sight; 0 when the arena's table is full.
std::uint16_t lockId(const void* address, abi::ObjectKind kind, const void* caller) noexcept;
// The id of an object already seen (0: it has no entry), or -1 if never seen (an unlock of a lock taken
// before tracing began, or while the guard was up): then nothing is recorded.
int knownLockId(const void* address) noexcept;
// The same through the thread's one-entry cache (an object's id never changes once given).
inline std::uint16_t lockId(ThreadState& t, const void* address, abi::ObjectKind kind, const void* caller) noexcept
{
    if (address == t.lastObject) [[likely]]
        return t.lastId;
    const std::uint16_t id = lockId(address, kind, caller);
    t.lastObject = address;
    t.lastId = id;
    return id;
}
inline int knownLockId(ThreadState& t, const void* address) noexcept
{
    return address == t.lastObject ? t.lastId : knownLockId(address);
}
// A named semaphore (sem_open): one entry per name across all processes of the run.
std::uint16_t namedSemaphoreId(const void* address, const char* name) noexcept;
// Annotation objects, keyed by the name's address in this process, one entry per name in the run.
std::uint16_t zoneId(const char* name) noexcept;
abi::CounterEntry* counterEntry(const char* name) noexcept;
// Gives the object at `address` this name (registering it if new).
void nameLock(const void* address, const char* name) noexcept;

// CPython 3.11's GIL inside _PyRuntime (python.cpp), all null when the program is not one: the wrappers
// compare every mutex and condition against these and hand the GIL's to the functions below.
struct Gil {
    const void* mutex; // gil.mutex: locked by take_gil and drop_gil
    const void* switchMutex; // gil.switch_mutex: locked by take_gil once the GIL is free (and a forced drop)
    const void* cond; // gil.cond: waited on in take_gil, signalled by drop_gil
    const void* switchCond; // gil.switch_cond: waited on by a forced drop until the taker has the GIL
    const int* locked; // gil.locked
    std::uint16_t id; // its lock entry ("GIL"), one per process
};
extern Gil g_gil;
inline bool isGilMutex(const void* m) noexcept
{
    return m == g_gil.mutex || m == g_gil.switchMutex;
}
// Finds CPython at start-up (after the arena is mapped).
void detectPython() noexcept;
// In a fork child: a GIL entry of its own, and the forking thread outside the GIL (the child takes it again).
void gilAfterFork(ThreadState& t) noexcept;
// pthread_mutex_lock/unlock of gil.mutex or switch_mutex, instead of the ordinary lock events.
int gilMutexLock(pthread_mutex_t* m, int (*lock)(pthread_mutex_t*)) noexcept;
void gilMutexUnlocked(const pthread_mutex_t* m) noexcept;
// pthread_cond_signal(gil.cond).
void gilSignalled() noexcept;
// pthread_cond_wait(gil.switch_cond): a forced hand-off.
void gilHandOff() noexcept;
// A new lock entry with this name for this process (the GIL).
std::uint16_t newNamedLock(const void* address, const char* name) noexcept;

// "symbol", "symbol+0x1f", "file+0x1234" or "0x55d0c3a0" for an address: false when none fits.
bool symbolName(const void* address, bool wantObject, char* out, std::size_t n) noexcept;

} // namespace tl::tracee
