#pragma once

#include <QMetaObject>
#include <QObject>
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
    template <class F> void give(F&& handOver)
    {
        std::lock_guard lock(m_mutex);
        handOver();
    }
    // Giver with nothing left to call: what it did so far is visible to the next take().
    void give() { std::lock_guard lock(m_mutex); }
    // Receiver: before it touches what was handed over.
    void take() { std::lock_guard lock(m_mutex); }

private:
    std::mutex m_mutex;
};

// Calls `f` on `receiver`'s thread through a queued call (dropped if `receiver` is destroyed first), with
// everything the caller did before, `f`'s captures included, visible there to ThreadSanitizer. The closure
// Qt carries is written on this thread and read on that one, so the hand-over taken first must be found
// without reading the closure (reading a captured `this` to reach a member HandOver was reported): one
// hand-over per kind of call, constant-initialised at a fixed address. A call dropped with its receiver is
// freed without it: the receiver's destruction must come after the caller's thread in some other visible
// way (a join), as RunController's and MainWindow's do.
template <class F> void invokeQueued(QObject* receiver, F f)
{
    static constinit HandOver handOver;
    handOver.give([&] {
        QMetaObject::invokeMethod(
            receiver,
            [f = std::move(f)]() mutable {
                handOver.take();
                f();
            },
            Qt::QueuedConnection);
    });
}

} // namespace tl
