#pragma once

#include <QStringList>
#include <memory>

namespace tl {

// Which API a run's processes share memory and a lock through: Qt's QSharedMemory and QSystemSemaphore
// (hardened: qtipc.h), or private System V objects (IPC_PRIVATE: sharedsegment.h, sharedsemaphore.h).
enum class IpcApi : int { Qt, Private };
// What a run's results say it used: "QSharedMemory+QSystemSemaphore" or "System V private".
QString ipcApiName(IpcApi api);
// The semaphore, as the timeline names the lock: "QSystemSemaphore" or "System V semaphore".
QString ipcLockName(IpcApi api);

// One segment and one semaphore shared by a run's processes. The run makes both (the segment zero-filled);
// a child opens them by the run's keys().
class SharedObjects {
public:
    static std::unique_ptr<SharedObjects> create(IpcApi api, qsizetype bytes, int initialValue);
    static std::unique_ptr<SharedObjects> open(IpcApi api, const QStringList& keys);
    virtual ~SharedObjects() = default;
    SharedObjects() = default;
    SharedObjects(const SharedObjects&) = delete;
    SharedObjects& operator=(const SharedObjects&) = delete;

    virtual void* data() = 0;
    virtual QStringList keys() const = 0;
    virtual void acquire() = 0;
    virtual void release() = 0;
};

} // namespace tl
