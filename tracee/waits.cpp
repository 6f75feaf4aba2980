// The wait family: when the program collects one of its children, how that child ended goes into the
// arena's exit table. ThreadLab cannot collect another program's child itself, and once collected, /proc
// forgets it: without this a child's exit code would be lost ("ended, status unseen"). These may run in a
// SIGCHLD handler: atomics and plain stores only.

#include "tracee.h"

#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>

namespace tl::tracee {

namespace {
using WaitpidFn = pid_t(pid_t, int*, int);
using WaitFn = pid_t(int*);
using Wait4Fn = pid_t(pid_t, int*, int, struct rusage*);
using WaitidFn = int(idtype_t, id_t, siginfo_t*, int);
Real<WaitpidFn> real_waitpid { "waitpid" };
Real<WaitFn> real_wait { "wait" };
Real<Wait4Fn> real_wait4 { "wait4" };
Real<WaitidFn> real_waitid { "waitid" };

void reportExit(pid_t pid, int status) noexcept
{
    if (!g_active || pid <= 0 || !(WIFEXITED(status) || WIFSIGNALED(status)))
        return; // a stop or a continue: the child goes on
    abi::ArenaHeader& header = g_view.header();
    const std::uint32_t i = header.nextExit.fetch_add(1, std::memory_order_relaxed);
    if (i >= header.exitCount)
        return;
    abi::ExitEntry& entry = g_view.exit(i);
    entry.pid = pid;
    entry.waitStatus = status;
    entry.ready.store(1, std::memory_order_release);
}

// waitid's account of an end, as waitpid's status word.
int waitStatusOf(const siginfo_t& info) noexcept
{
    switch (info.si_code) {
    case CLD_EXITED:
        return (info.si_status & 0xff) << 8;
    case CLD_KILLED:
        return info.si_status & 0x7f;
    case CLD_DUMPED:
        return (info.si_status & 0x7f) | 0x80;
    default:
        return 0x7f; // stopped: WIFEXITED and WIFSIGNALED are both false
    }
}
}

void resolveWaits() noexcept
{
    real_waitpid.get();
    real_wait.get();
    real_wait4.get();
    real_waitid.get();
}

} // namespace tl::tracee

using namespace tl::tracee;

extern "C" {

TL_EXPORT pid_t waitpid(pid_t pid, int* status, int options)
{
    int s = 0;
    const pid_t got = real_waitpid.get()(pid, &s, options);
    if (got > 0) {
        reportExit(got, s);
        if (status)
            *status = s;
    }
    return got;
}

TL_EXPORT pid_t wait(int* status)
{
    int s = 0;
    const pid_t got = real_wait.get()(&s);
    if (got > 0) {
        reportExit(got, s);
        if (status)
            *status = s;
    }
    return got;
}

TL_EXPORT pid_t wait4(pid_t pid, int* status, int options, struct rusage* usage)
{
    int s = 0;
    const pid_t got = real_wait4.get()(pid, &s, options, usage);
    if (got > 0) {
        reportExit(got, s);
        if (status)
            *status = s;
    }
    return got;
}

TL_EXPORT int waitid(idtype_t type, id_t id, siginfo_t* info, int options)
{
    const int rc = real_waitid.get()(type, id, info, options);
    if (rc == 0 && info && !(options & WNOWAIT) && info->si_pid > 0)
        reportExit(info->si_pid, waitStatusOf(*info));
    return rc;
}

} // extern "C"
