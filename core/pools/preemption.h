#pragma once

#include "../trace/recorder.h"

#include <cstdint>

namespace tl {

// Shows when a worker thread was ready to run but had no CPU (another thread had it): time no event of
// its own marks. The kernel counts that time per thread (/proc/thread-self/schedstat: time waiting on a
// run queue); at each mark, the wait added since the previous mark is recorded as Queued — the thread sat in
// the CPU's run queue — ending just before the mark, then Running. Marks should come every fraction of a
// millisecond of work, so that the wait lands where it happened. Make and mark it on the thread it measures.
class PreemptionProbe {
public:
    PreemptionProbe();
    ~PreemptionProbe();
    PreemptionProbe(const PreemptionProbe&) = delete;
    PreemptionProbe& operator=(const PreemptionProbe&) = delete;

    // Records Queued then Running and returns true if the thread waited for a CPU since the last mark (or
    // since it was made); else records nothing.
    bool mark(Recorder& rec);

private:
    std::int64_t runQueueNs() const; // -1 when the kernel does not tell

    int m_fd = -1;
    std::int64_t m_waitedNs = 0;
};

} // namespace tl
