// CPython 3.11's GIL as a lock named "GIL" (see README.md, and /work/shared/guide/TRACING.md §2).
//
// The GIL is not a mutex: it is the flag gil.locked inside _PyRuntime, guarded by gil.mutex, which both
// take_gil and drop_gil (Python/ceval_gil.h) hold for nanoseconds only. Drawn as ordinary locks, gil.mutex
// and gil.switch_mutex would be thousands of meaningless slivers, and the GIL itself would not appear. So
// those two mutexes and the GIL's two conditions are recognised by address and followed per thread:
//
//   take_gil:  lock(gil.mutex) [GIL taken by another: LockWait(GIL)]
//              while locked: timedwait(gil.cond, gil.mutex)      (the wait goes on: no Sleeping)
//              lock(switch_mutex) while inside gil.mutex          → LockAcquired(GIL, 1)
//              signal(switch_cond), unlock(switch_mutex), unlock(gil.mutex)
//   drop_gil:  lock(gil.mutex), locked = 0, signal(gil.cond)      → LockReleased(GIL)
//              unlock(gil.mutex)
//              [forced: lock(switch_mutex), wait(switch_cond)     → Mark(kMarkGilHandOff)]
//
// Every GIL event is recorded while its thread is inside gil.mutex, so the events of all threads are in
// the order the GIL really changed hands: never two holders at once. A thread that finds the GIL free goes
// straight from lock(gil.mutex) to the acquisition and records no wait (as a free mutex records none).
#include "tracee.h"

#include <dlfcn.h>

namespace tl::tracee {

Gil g_gil {};

namespace {

// Offsets of CPython 3.11's _gil_runtime_state fields in _PyRuntime (x86_64; the same in 3.11.2 and
// 3.11.7's headers: TRACING.md §2).
constexpr std::size_t kLocked311 = 376;
constexpr std::size_t kCond311 = 392;
constexpr std::size_t kMutex311 = 440;
constexpr std::size_t kSwitchCond311 = 480;
constexpr std::size_t kSwitchMutex311 = 528;

} // namespace

void detectPython() noexcept
{
    // The interpreter's own symbols: exported by a python3 executable (Debian's is non-PIE with libpython
    // linked in) or by a libpython the program depends on. One loaded later with dlopen is not seen.
    auto* runtime = static_cast<char*>(dlsym(RTLD_DEFAULT, "_PyRuntime"));
    if (!runtime)
        return;
    const auto* version = static_cast<const unsigned long*>(dlsym(RTLD_DEFAULT, "Py_Version"));
    // Py_Version exists since 3.11 (PY_VERSION_HEX: 0x030B02F0 is 3.11.2 final); the GIL moved into the
    // interpreter in 3.12, and older ones lay _PyRuntime out differently.
    if (!version || (*version >> 16) != 0x030B) {
        g_view.header().pythonGil.fetch_or(abi::kGilUnknownPython, std::memory_order_relaxed);
        return;
    }
    g_gil.locked = reinterpret_cast<const int*>(runtime + kLocked311);
    g_gil.cond = runtime + kCond311;
    g_gil.mutex = runtime + kMutex311;
    g_gil.switchCond = runtime + kSwitchCond311;
    g_gil.switchMutex = runtime + kSwitchMutex311;
    g_gil.id = newNamedLock(g_gil.locked, abi::kGilName);
    g_view.header().pythonGil.fetch_or(abi::kGilTracked, std::memory_order_relaxed);
}

void gilAfterFork(ThreadState& t) noexcept
{
    // The child's interpreter re-creates the GIL at the same addresses (_PyEval_ReInitThreads) and takes it
    // again from scratch: the forking thread held its parent's. The child's GIL is its own lock.
    t.gil = kGilOut;
    t.inGilMutex = 0;
    if (g_gil.mutex)
        g_gil.id = newNamedLock(g_gil.locked, abi::kGilName);
}

int gilMutexLock(pthread_mutex_t* m, int (*lock)(pthread_mutex_t*)) noexcept
{
    const int rc = lock(m);
    ThreadState& t = t_state;
    if (rc != 0 || !g_active || t.inside)
        return rc;
    Inside inside(t);
    // No entry (the arena's lock table was full): the state is followed all the same, nothing recorded.
    Recorder* rec = g_gil.id ? recorder(t) : nullptr;
    if (m == g_gil.mutex) {
        t.inGilMutex = 1;
        if (t.gil == kGilHolding) // drop_gil
            return rc;
        t.gil = kGilTaking;
        // take_gil: held by another thread, this one waits until a drop_gil signals gil.cond.
        if (rec && __atomic_load_n(g_gil.locked, __ATOMIC_RELAXED) > 0)
            rec->record(EventKind::LockWait, 0, g_gil.id);
    } else if (t.inGilMutex && t.gil == kGilTaking) { // take_gil's _ready: gil.locked = 1 follows
        t.gil = kGilHolding;
        if (rec)
            rec->record(EventKind::LockAcquired, 1, g_gil.id);
    }
    return rc;
}

void gilMutexUnlocked(const pthread_mutex_t* m) noexcept
{
    if (m == g_gil.mutex)
        t_state.inGilMutex = 0;
}

void gilSignalled() noexcept
{
    ThreadState& t = t_state;
    if (!t.inGilMutex || t.gil != kGilHolding) // take_gil's signals, or a wait's
        return;
    t.gil = kGilOut;
    if (!g_active || t.inside)
        return;
    Inside inside(t);
    if (Recorder* rec = g_gil.id ? recorder(t) : nullptr)
        rec->record(EventKind::LockReleased, 0, g_gil.id);
}

void gilHandOff() noexcept
{
    ThreadState& t = t_state;
    if (!g_active || t.inside)
        return;
    Inside inside(t);
    if (Recorder* rec = recorder(t))
        rec->record(EventKind::Mark, abi::kMarkGilHandOff);
}

} // namespace tl::tracee
