#include "backgroundjobs.h"

#include <sync/handover.h>

namespace tl::ui {

BackgroundJobs::~BackgroundJobs()
{
    // Waits for the work still going; the queued calls bringing its results back die with this object.
    m_threads.clear();
}

void BackgroundJobs::run(std::function<QString()> work, std::function<void(const QString&)> done)
{
    // Not QtConcurrent: a QFuture's result is freed by whichever thread drops the last reference, often the
    // pool's after this one read it, ordered only by Qt's (uninstrumented) atomics, so ThreadSanitizer
    // reported the QString's free. Here the result travels in the queued call, and this thread frees it.
    // Thread creation and join order the rest, and invokeQueued the queued call.
    const auto self = m_threads.emplace(m_threads.end());
    *self = std::jthread([this, self, work = std::move(work), done = std::move(done)]() mutable {
        invokeQueued(this, [this, self, error = work(), done = std::move(done)] {
            m_threads.erase(self); // joins the thread, which is past its last use of this object
            done(error);
        });
    });
}

} // namespace tl::ui
