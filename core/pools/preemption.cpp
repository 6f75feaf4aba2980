#include "preemption.h"

#include "../trace/clock.h"
#include "../trace/contextswitches.h"

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

namespace tl {

namespace {
// Shorter waits are the scheduler's own housekeeping, too short to see on a timeline.
constexpr std::int64_t kMinWaitNs = 50'000;
}

PreemptionProbe::PreemptionProbe()
    // Where the kernel's own switch records follow the thread, they say this exactly: the probe stands down.
    : m_fd(ContextSwitches::followsCallingThread() ? -1 : ::open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC))
    , m_waitedNs(runQueueNs())
{
}

PreemptionProbe::~PreemptionProbe()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

std::int64_t PreemptionProbe::runQueueNs() const
{
    // "time on the CPU (ns) time waiting on a run queue (ns) time slices"
    char text[96];
    const ssize_t n = m_fd >= 0 ? ::pread(m_fd, text, sizeof text - 1, 0) : -1;
    if (n <= 0)
        return -1;
    text[n] = '\0';
    char* field = nullptr;
    std::strtoll(text, &field, 10);
    return std::strtoll(field, nullptr, 10);
}

bool PreemptionProbe::mark(Recorder& rec)
{
    const std::int64_t waited = runQueueNs();
    const std::int64_t added = waited - m_waitedNs;
    if (waited < 0 || added < kMinWaitNs)
        return false;
    m_waitedNs = waited;
    const std::uint64_t now = clock::ticks();
    const auto waitTicks = std::uint64_t(double(added) / clock::nsPerTick());
    rec.recordAt(now - std::min(waitTicks, now), EventKind::Enqueued);
    rec.record(EventKind::Running);
    return true;
}

} // namespace tl
