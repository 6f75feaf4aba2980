// The interposed functions: threads, names, mutexes, rwlocks, condition variables, semaphores, sleeps, fork.
// Each one first tests g_active and the thread's re-entry guard and calls straight through when either says
// so: outside ThreadLab (no arena), inside the library's own work, or inside another wrapper. The events
// follow InstrumentedLock (core/sync/instrumentedlock.cpp), which the span builder (core/trace/spans.cpp) is
// written for; README.md lists them per call.
#include "tracee.h"

#include <cerrno>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tl::tracee {

namespace {

// LockAcquired's value: 1 excludes others (a mutex, a write lock, a zone), 2 is a shared (read) hold. The
// span builder shows any non-zero value as a hold; 0 would mean "no lock at all" (an unprotected section).
constexpr std::int32_t kExclusive = 1;
constexpr std::int32_t kShared = 2;

using MutexFn = int(pthread_mutex_t*);
using MutexTimedFn = int(pthread_mutex_t*, const timespec*);
using MutexClockFn = int(pthread_mutex_t*, clockid_t, const timespec*);
using RwFn = int(pthread_rwlock_t*);
using RwTimedFn = int(pthread_rwlock_t*, const timespec*);
using RwClockFn = int(pthread_rwlock_t*, clockid_t, const timespec*);
using CondWaitFn = int(pthread_cond_t*, pthread_mutex_t*);
using CondTimedFn = int(pthread_cond_t*, pthread_mutex_t*, const timespec*);
using CondClockFn = int(pthread_cond_t*, pthread_mutex_t*, clockid_t, const timespec*);
using CondSignalFn = int(pthread_cond_t*);
using SemFn = int(sem_t*);
using SemTimedFn = int(sem_t*, const timespec*);
using SemClockFn = int(sem_t*, clockid_t, const timespec*);
using SemOpenFn = sem_t*(const char*, int, ...);
using CreateFn = int(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
using ExitFn = void(void*);
using SetNameFn = int(pthread_t, const char*);
using PrctlFn = int(int, ...);
using NanosleepFn = int(const timespec*, timespec*);
using ClockNanosleepFn = int(clockid_t, int, const timespec*, timespec*);
using UsleepFn = int(useconds_t);
using SleepFn = unsigned(unsigned);
using ForkFn = pid_t();

Real<MutexFn> real_mutex_lock { "pthread_mutex_lock" };
Real<MutexFn> real_mutex_trylock { "pthread_mutex_trylock" };
Real<MutexTimedFn> real_mutex_timedlock { "pthread_mutex_timedlock" };
Real<MutexClockFn> real_mutex_clocklock { "pthread_mutex_clocklock" };
Real<MutexFn> real_mutex_unlock { "pthread_mutex_unlock" };
Real<RwFn> real_rdlock { "pthread_rwlock_rdlock" };
Real<RwFn> real_tryrdlock { "pthread_rwlock_tryrdlock" };
Real<RwTimedFn> real_timedrdlock { "pthread_rwlock_timedrdlock" };
Real<RwClockFn> real_clockrdlock { "pthread_rwlock_clockrdlock" };
Real<RwFn> real_wrlock { "pthread_rwlock_wrlock" };
Real<RwFn> real_trywrlock { "pthread_rwlock_trywrlock" };
Real<RwTimedFn> real_timedwrlock { "pthread_rwlock_timedwrlock" };
Real<RwClockFn> real_clockwrlock { "pthread_rwlock_clockwrlock" };
Real<RwFn> real_rwunlock { "pthread_rwlock_unlock" };
// The current ABI, not the 2.2.5 compatibility one dlsym might give (TRACING.md §1).
Real<CondWaitFn> real_cond_wait { "pthread_cond_wait", "GLIBC_2.3.2" };
Real<CondTimedFn> real_cond_timedwait { "pthread_cond_timedwait", "GLIBC_2.3.2" };
Real<CondClockFn> real_cond_clockwait { "pthread_cond_clockwait" };
Real<CondSignalFn> real_cond_signal { "pthread_cond_signal", "GLIBC_2.3.2" };
Real<SemFn> real_sem_wait { "sem_wait" };
Real<SemFn> real_sem_trywait { "sem_trywait" };
Real<SemTimedFn> real_sem_timedwait { "sem_timedwait" };
Real<SemClockFn> real_sem_clockwait { "sem_clockwait" };
Real<SemOpenFn> real_sem_open { "sem_open" };
Real<CreateFn> real_create { "pthread_create" };
Real<ExitFn> real_exit { "pthread_exit" };
Real<SetNameFn> real_setname { "pthread_setname_np" };
Real<PrctlFn> real_prctl { "prctl" };
Real<NanosleepFn> real_nanosleep { "nanosleep" };
Real<ClockNanosleepFn> real_clock_nanosleep { "clock_nanosleep" };
Real<UsleepFn> real_usleep { "usleep" };
Real<SleepFn> real_sleep { "sleep" };
Real<ForkFn> real_fork { "fork" };

// The recorder to write this call's events into, with the guard up; null: call through.
struct Traced {
    Traced() noexcept
        : state(t_state)
    {
        if (!g_active || state.inside)
            return;
        ++state.inside;
        guarded = true;
        rec = recorder(state);
    }
    ~Traced()
    {
        if (guarded)
            --state.inside;
    }
    Traced(const Traced&) = delete;
    Traced& operator=(const Traced&) = delete;
    ThreadState& state;
    Recorder* rec = nullptr;
    bool guarded = false;
};

bool acquired(int rc)
{
    return rc == 0 || rc == EOWNERDEAD; // a robust mutex whose owner died is still taken
}

// lock(): try first, so that a free lock is taken before anything is read or recorded (no wait happened,
// and the program's timing between unlock and lock is kept); only a taken lock costs a LockWait.
template <typename Lock, typename Try, typename Object>
int lockTraced(Object* object, abi::ObjectKind kind, std::int32_t value, const void* caller, Try&& tryLock, Lock&& lock)
{
    Traced traced;
    if (!traced.rec)
        return lock();
    int rc = tryLock();
    if (acquired(rc)) {
        traced.rec->record(EventKind::LockAcquired, value, lockId(traced.state, object, kind, caller));
        return rc;
    }
    if (rc != EBUSY) // EAGAIN (recursion or readers at their limit), EINVAL...: as the real call says
        return lock();
    const std::uint16_t id = lockId(traced.state, object, kind, caller);
    traced.rec->record(EventKind::LockWait, 0, id);
    rc = lock();
    const int saved = errno;
    if (acquired(rc))
        traced.rec->record(EventKind::LockAcquired, value, id);
    else // gave up (timed out, EDEADLK): the wait ends as InstrumentedLock::lockWithin ends it
        traced.rec->record(EventKind::Running);
    errno = saved;
    return rc;
}

template <typename Try, typename Object>
int tryTraced(Object* object, abi::ObjectKind kind, std::int32_t value, const void* caller, Try&& tryLock)
{
    Traced traced;
    const int rc = tryLock();
    if (traced.rec && acquired(rc))
        traced.rec->record(EventKind::LockAcquired, value, lockId(traced.state, object, kind, caller));
    return rc;
}

template <typename Unlock, typename Object> int unlockTraced(Object* object, Unlock&& unlock)
{
    {
        Traced traced;
        if (traced.rec) {
            // Before the unlock, as InstrumentedLock does: the next owner's LockAcquired comes after it.
            const int id = knownLockId(traced.state, object);
            if (id >= 0)
                traced.rec->record(EventKind::LockReleased, 0, std::uint16_t(id));
        }
    }
    return unlock();
}

// A condition wait: the mutex is let go, the thread sleeps waiting for a signal (lock = the condition: a
// wait, never a hold), then runs and has the mutex again. glibc re-takes the mutex inside the wait, not
// through pthread_mutex_lock, so the re-acquisition is recorded here.
template <typename Wait> int condTraced(pthread_cond_t* cond, pthread_mutex_t* mutex, const void* caller, Wait&& wait)
{
    if (isGilMutex(mutex)) [[unlikely]] {
        // CPython's GIL (python.cpp): take_gil's wait on gil.cond is part of the LockWait(GIL) already
        // open, not a sleep; a wait on switch_cond is a forced hand-off. gil.mutex stays held throughout.
        if (cond == g_gil.switchCond)
            gilHandOff();
        return wait();
    }
    Traced traced;
    if (!traced.rec)
        return wait();
    const std::uint16_t mutexId = lockId(mutex, abi::ObjectKind::Mutex, caller);
    traced.rec->record(EventKind::LockReleased, 0, mutexId);
    traced.rec->record(EventKind::Sleeping, 0, lockId(cond, abi::ObjectKind::Condition, caller));
    const int rc = wait();
    const int saved = errno;
    traced.rec->record(EventKind::Running);
    traced.rec->record(EventKind::LockAcquired, kExclusive, mutexId);
    errno = saved;
    return rc;
}

// A semaphore wait: nothing when it can be taken at once; otherwise Sleeping (lock = the semaphore) until
// it is. A semaphore is posted by whoever likes, so taking one is never recorded as a hold.
template <typename Wait> int semTraced(sem_t* sem, const void* caller, Wait&& wait)
{
    Traced traced;
    if (!traced.rec)
        return wait();
    if (real_sem_trywait.get()(sem) == 0)
        return 0;
    if (errno != EAGAIN)
        return wait();
    traced.rec->record(EventKind::Sleeping, 0, lockId(sem, abi::ObjectKind::Semaphore, caller));
    const int rc = wait();
    const int saved = errno;
    traced.rec->record(EventKind::Running);
    errno = saved;
    return rc;
}

template <typename Sleep> auto sleepTraced(Sleep&& sleep)
{
    Traced traced;
    if (!traced.rec)
        return sleep();
    traced.rec->record(EventKind::Sleeping);
    const auto rc = sleep();
    const int saved = errno;
    traced.rec->record(EventKind::Running);
    errno = saved;
    return rc;
}

// pthread_create's start routine, run by the new thread: its slot, Started, the routine, Finished. The end
// is recorded by a destructor, so a thread that ends in pthread_exit or is cancelled (both unwind) ends its
// lane too.
struct Start {
    void* (*routine)(void*);
    void* arg;
};

struct EndOfThread {
    ~EndOfThread()
    {
        ThreadState& t = t_state;
        if (g_active && !t.inside) {
            Inside inside(t);
            endThread(t);
        }
    }
};

void* trampoline(void* p)
{
    const Start start = *static_cast<Start*>(p);
    std::free(p);
    ThreadState& t = t_state;
    if (g_active) {
        Inside inside(t);
        if (claimSlot(t)) {
            rememberThread(t.slot, pthread_self());
            // Named by its creator between the claim and now: that rename found no slot, the name is read here.
            char name[abi::kThreadNameBytes] = {};
            syscall(SYS_prctl, PR_GET_NAME, name, 0, 0, 0);
            if (std::strncmp(name, g_view.slot(t.slot).name, sizeof name) != 0)
                setSlotName(t.slot, name);
        }
    }
    EndOfThread end;
    return start.routine(start.arg);
}

void renamed(pthread_t thread, const char* name)
{
    ThreadState& t = t_state;
    if (!g_active || t.inside)
        return;
    Inside inside(t);
    if (pthread_equal(thread, pthread_self())) {
        if (recorder(t)) // a first event claims the slot, and reads the new name itself
            setSlotName(t.slot, name);
    } else if (const std::uint32_t slot = slotOfThread(thread); slot != UINT32_MAX) {
        setSlotName(slot, name);
    }
}

} // namespace

void resolveWrappers() noexcept
{
    real_mutex_lock.get();
    real_mutex_trylock.get();
    real_mutex_timedlock.get();
    real_mutex_clocklock.get();
    real_mutex_unlock.get();
    real_rdlock.get();
    real_tryrdlock.get();
    real_timedrdlock.get();
    real_clockrdlock.get();
    real_wrlock.get();
    real_trywrlock.get();
    real_timedwrlock.get();
    real_clockwrlock.get();
    real_rwunlock.get();
    real_cond_wait.get();
    real_cond_timedwait.get();
    real_cond_clockwait.get();
    real_cond_signal.get();
    real_sem_wait.get();
    real_sem_trywait.get();
    real_sem_timedwait.get();
    real_sem_clockwait.get();
    real_sem_open.get();
    real_create.get();
    real_exit.get();
    real_setname.get();
    real_prctl.get();
    real_nanosleep.get();
    real_clock_nanosleep.get();
    real_usleep.get();
    real_sleep.get();
    real_fork.get();
}

} // namespace tl::tracee

using namespace tl;
using namespace tl::tracee;

extern "C" {

// --- mutexes -------------------------------------------------------------------------------------------

TL_EXPORT int pthread_mutex_lock(pthread_mutex_t* m) noexcept
{
    MutexFn* lock = real_mutex_lock.get();
    if (!lock) [[unlikely]]
        return 0; // inside dlsym, before the C library's function is known: the lock is faked (mutrace)
    if (isGilMutex(m)) [[unlikely]]
        return gilMutexLock(m, lock);
    return lockTraced(
        m, abi::ObjectKind::Mutex, kExclusive, __builtin_return_address(0), [&] { return real_mutex_trylock.get()(m); },
        [&] { return lock(m); });
}

TL_EXPORT int pthread_mutex_trylock(pthread_mutex_t* m) noexcept
{
    MutexFn* tryLock = real_mutex_trylock.get();
    if (!tryLock) [[unlikely]]
        return 0;
    if (isGilMutex(m)) [[unlikely]]
        return tryLock(m); // CPython never try-locks them; nothing to draw if something else does
    return tryTraced(m, abi::ObjectKind::Mutex, kExclusive, __builtin_return_address(0), [&] { return tryLock(m); });
}

TL_EXPORT int pthread_mutex_timedlock(pthread_mutex_t* m, const timespec* deadline) noexcept
{
    if (isGilMutex(m)) [[unlikely]]
        return real_mutex_timedlock.get()(m, deadline);
    return lockTraced(
        m, abi::ObjectKind::Mutex, kExclusive, __builtin_return_address(0), [&] { return real_mutex_trylock.get()(m); },
        [&] { return real_mutex_timedlock.get()(m, deadline); });
}

TL_EXPORT int pthread_mutex_clocklock(pthread_mutex_t* m, clockid_t clock, const timespec* deadline) noexcept
{
    if (isGilMutex(m)) [[unlikely]]
        return real_mutex_clocklock.get()(m, clock, deadline);
    return lockTraced(
        m, abi::ObjectKind::Mutex, kExclusive, __builtin_return_address(0), [&] { return real_mutex_trylock.get()(m); },
        [&] { return real_mutex_clocklock.get()(m, clock, deadline); });
}

TL_EXPORT int pthread_mutex_unlock(pthread_mutex_t* m) noexcept
{
    MutexFn* unlock = real_mutex_unlock.get();
    if (!unlock) [[unlikely]]
        return 0;
    if (isGilMutex(m)) [[unlikely]] {
        gilMutexUnlocked(m);
        return unlock(m);
    }
    return unlockTraced(m, [&] { return unlock(m); });
}

// --- rwlocks: write = 1, read = 2 (a shared hold) -----------------------------------------------------

TL_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t* l) noexcept
{
    return lockTraced(
        l, abi::ObjectKind::RwLock, kShared, __builtin_return_address(0), [&] { return real_tryrdlock.get()(l); },
        [&] { return real_rdlock.get()(l); });
}

TL_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t* l) noexcept
{
    return tryTraced(
        l, abi::ObjectKind::RwLock, kShared, __builtin_return_address(0), [&] { return real_tryrdlock.get()(l); });
}

TL_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t* l, const timespec* deadline) noexcept
{
    return lockTraced(
        l, abi::ObjectKind::RwLock, kShared, __builtin_return_address(0), [&] { return real_tryrdlock.get()(l); },
        [&] { return real_timedrdlock.get()(l, deadline); });
}

TL_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t* l, clockid_t clock, const timespec* deadline) noexcept
{
    return lockTraced(
        l, abi::ObjectKind::RwLock, kShared, __builtin_return_address(0), [&] { return real_tryrdlock.get()(l); },
        [&] { return real_clockrdlock.get()(l, clock, deadline); });
}

TL_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t* l) noexcept
{
    return lockTraced(
        l, abi::ObjectKind::RwLock, kExclusive, __builtin_return_address(0), [&] { return real_trywrlock.get()(l); },
        [&] { return real_wrlock.get()(l); });
}

TL_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t* l) noexcept
{
    return tryTraced(
        l, abi::ObjectKind::RwLock, kExclusive, __builtin_return_address(0), [&] { return real_trywrlock.get()(l); });
}

TL_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t* l, const timespec* deadline) noexcept
{
    return lockTraced(
        l, abi::ObjectKind::RwLock, kExclusive, __builtin_return_address(0), [&] { return real_trywrlock.get()(l); },
        [&] { return real_timedwrlock.get()(l, deadline); });
}

TL_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t* l, clockid_t clock, const timespec* deadline) noexcept
{
    return lockTraced(
        l, abi::ObjectKind::RwLock, kExclusive, __builtin_return_address(0), [&] { return real_trywrlock.get()(l); },
        [&] { return real_clockwrlock.get()(l, clock, deadline); });
}

TL_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t* l) noexcept
{
    return unlockTraced(l, [&] { return real_rwunlock.get()(l); });
}

// --- condition variables --------------------------------------------------------------------------------

TL_EXPORT int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m)
{
    return condTraced(c, m, __builtin_return_address(0), [&] { return real_cond_wait.get()(c, m); });
}

TL_EXPORT int pthread_cond_timedwait(pthread_cond_t* c, pthread_mutex_t* m, const timespec* deadline)
{
    return condTraced(c, m, __builtin_return_address(0), [&] { return real_cond_timedwait.get()(c, m, deadline); });
}

TL_EXPORT int pthread_cond_clockwait(pthread_cond_t* c, pthread_mutex_t* m, clockid_t clock, const timespec* deadline)
{
    return condTraced(
        c, m, __builtin_return_address(0), [&] { return real_cond_clockwait.get()(c, m, clock, deadline); });
}

TL_EXPORT int pthread_cond_signal(pthread_cond_t* c) noexcept
{
    CondSignalFn* signal = real_cond_signal.get();
    if (!signal) [[unlikely]]
        return 0;
    if (c == g_gil.cond) [[unlikely]] // null outside CPython, and c never is
        gilSignalled(); // drop_gil: the GIL is free from here (recorded inside gil.mutex, before the signal)
    return signal(c);
}

// --- semaphores -------------------------------------------------------------------------------------------

TL_EXPORT int sem_wait(sem_t* s)
{
    return semTraced(s, __builtin_return_address(0), [&] { return real_sem_wait.get()(s); });
}

TL_EXPORT int sem_timedwait(sem_t* s, const timespec* deadline)
{
    return semTraced(s, __builtin_return_address(0), [&] { return real_sem_timedwait.get()(s, deadline); });
}

TL_EXPORT int sem_clockwait(sem_t* s, clockid_t clock, const timespec* deadline)
{
    return semTraced(s, __builtin_return_address(0), [&] { return real_sem_clockwait.get()(s, clock, deadline); });
}

TL_EXPORT sem_t* sem_open(const char* name, int flags, ...) noexcept
{
    mode_t mode = 0;
    unsigned value = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = mode_t(va_arg(ap, unsigned)); // mode_t is promoted through the ...
        value = va_arg(ap, unsigned);
        va_end(ap);
    }
    sem_t* sem = real_sem_open.get()(name, flags, mode, value);
    ThreadState& t = t_state;
    if (sem != SEM_FAILED && g_active && !t.inside) {
        // One entry per name in the whole run: another process's sem_open of it finds the same one.
        Inside inside(t);
        namedSemaphoreId(sem, name);
    }
    return sem;
}

// --- sleeps -------------------------------------------------------------------------------------------------

TL_EXPORT int nanosleep(const timespec* duration, timespec* left)
{
    return sleepTraced([&] { return real_nanosleep.get()(duration, left); });
}

TL_EXPORT int clock_nanosleep(clockid_t clock, int flags, const timespec* duration, timespec* left)
{
    return sleepTraced([&] { return real_clock_nanosleep.get()(clock, flags, duration, left); });
}

TL_EXPORT int usleep(useconds_t microseconds)
{
    return sleepTraced([&] { return real_usleep.get()(microseconds); });
}

TL_EXPORT unsigned sleep(unsigned seconds)
{
    return sleepTraced([&] { return real_sleep.get()(seconds); });
}

// --- threads and their names ---------------------------------------------------------------------------

TL_EXPORT int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*routine)(void*), void* arg) noexcept
{
    CreateFn* create = real_create.get();
    ThreadState& t = t_state;
    if (!g_active || t.inside)
        return create(thread, attr, routine, arg);
    Inside inside(t);
    auto* start = static_cast<Start*>(std::malloc(sizeof(Start)));
    if (!start)
        return create(thread, attr, routine, arg);
    *start = { routine, arg };
    const int rc = create(thread, attr, trampoline, start);
    if (rc != 0)
        std::free(start);
    return rc;
}

TL_EXPORT void pthread_exit(void* value)
{
    ThreadState& t = t_state;
    if (g_active && !t.inside) {
        Inside inside(t);
        endThread(t);
    }
    real_exit.get()(value);
    __builtin_unreachable();
}

TL_EXPORT int pthread_setname_np(pthread_t thread, const char* name) noexcept
{
    const int rc = real_setname.get()(thread, name);
    if (rc == 0)
        renamed(thread, name);
    return rc;
}

TL_EXPORT int prctl(int option, ...) noexcept
{
    va_list ap;
    va_start(ap, option);
    const unsigned long a2 = va_arg(ap, unsigned long);
    const unsigned long a3 = va_arg(ap, unsigned long);
    const unsigned long a4 = va_arg(ap, unsigned long);
    const unsigned long a5 = va_arg(ap, unsigned long);
    va_end(ap);
    const int rc = real_prctl.get()(option, a2, a3, a4, a5);
    if (rc == 0 && option == PR_SET_NAME)
        renamed(pthread_self(), reinterpret_cast<const char*>(a2));
    return rc;
}

// --- processes ---------------------------------------------------------------------------------------------
// vfork is never wrapped: its child would return through this frame on the parent's stack. The exec family
// (exec.cpp) covers what a vfork child may do.

TL_EXPORT pid_t fork() noexcept
{
    ForkFn* realFork = real_fork.get();
    ThreadState& t = t_state;
    if (!g_active || t.inside)
        return realFork();
    // Nothing is recorded during the fork: the handlers other libraries registered run inside it, in the
    // child too, where this thread's slot is still the parent's.
    ++t.inside;
    const pid_t pid = realFork();
    if (pid == 0 && t.claim == kUnclaimed && claimSlot(t)) // our atfork handler let go of the parent's slot
        rememberThread(t.slot, pthread_self());
    --t.inside;
    return pid;
}

} // extern "C"
