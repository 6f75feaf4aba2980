#pragma once

#include <mutex>

namespace tl {

// Hands data from one thread to another through Qt (QThreadPool::start to the task's run, a queued call to
// its receiver, QThread::wait to the joiner) in a way every checker can follow. Qt orders those itself, with
// QMutex and QWaitCondition inside libQt6Core; but Debian's Qt is not built with ThreadSanitizer and its
// QMutex sits on raw futexes, so TSan sees no order at all and reports our own data handed over as races.
//
// A std::mutex it can see fixes that, where an annotation (__tsan_release/__tsan_acquire) cannot: the giver
// holds it across the whole Qt call, including what Qt allocates inside it (the QRunnable, the queued event),
// and the receiver locks it before touching anything, so it waits out a call still returning on the other
// side. The receiver then happens after everything the giver did up to the end of its call. Costs one
// uncontended lock per hand-over in every build.
class HandOver {
public:
    // Giver: runs `handOver` (the Qt call that passes work to another thread) with the hand-over held.
    template <class F>
    void give(F&& handOver)
    {
        std::lock_guard lock(m_mutex);
        handOver();
    }
    // Giver with nothing left to call: what it did so far is visible to the next take().
    void give()
    {
        std::lock_guard lock(m_mutex);
    }
    // Receiver: before it touches what was handed over.
    void take()
    {
        std::lock_guard lock(m_mutex);
    }

private:
    std::mutex m_mutex;
};

} // namespace tl
