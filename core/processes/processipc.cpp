#include "processipc.h"

#include "qtipc.h"
#include "sharedsegment.h"
#include "sharedsemaphore.h"

namespace tl {

namespace {
// Both APIs have the same shape: Segment::create/attach, Semaphore::create/open.
template <class Segment, class Semaphore> class SharedObjectsOf final : public SharedObjects {
public:
    SharedObjectsOf(std::unique_ptr<Segment> segment, std::unique_ptr<Semaphore> semaphore)
        : m_segment(std::move(segment))
        , m_semaphore(std::move(semaphore))
    {
    }
    static std::unique_ptr<SharedObjects> create(qsizetype bytes, int initialValue)
    {
        auto segment = Segment::create(QStringLiteral("data"), bytes);
        return std::make_unique<SharedObjectsOf>(
            std::move(segment), Semaphore::create(QStringLiteral("lock"), initialValue));
    }
    static std::unique_ptr<SharedObjects> open(const QStringList& keys)
    {
        auto segment = Segment::attach(keys.value(0));
        return std::make_unique<SharedObjectsOf>(std::move(segment), Semaphore::open(keys.value(1)));
    }

    void* data() override { return m_segment->data(); }
    QStringList keys() const override { return { m_segment->key(), m_semaphore->key() }; }
    void acquire() override { m_semaphore->acquire(); }
    void release() override { m_semaphore->release(); }

private:
    std::unique_ptr<Segment> m_segment;
    std::unique_ptr<Semaphore> m_semaphore;
};
using QtObjects = SharedObjectsOf<QtSharedSegment, QtSharedSemaphore>;
using PrivateObjects = SharedObjectsOf<SharedSegment, SharedSemaphore>;
}

QString ipcApiName(IpcApi api)
{
    return api == IpcApi::Qt ? QStringLiteral("QSharedMemory+QSystemSemaphore") : QStringLiteral("System V private");
}

QString ipcLockName(IpcApi api)
{
    return api == IpcApi::Qt ? QStringLiteral("QSystemSemaphore") : QStringLiteral("System V semaphore");
}

std::unique_ptr<SharedObjects> SharedObjects::create(IpcApi api, qsizetype bytes, int initialValue)
{
    return api == IpcApi::Qt ? QtObjects::create(bytes, initialValue) : PrivateObjects::create(bytes, initialValue);
}

std::unique_ptr<SharedObjects> SharedObjects::open(IpcApi api, const QStringList& keys)
{
    return api == IpcApi::Qt ? QtObjects::open(keys) : PrivateObjects::open(keys);
}

} // namespace tl
