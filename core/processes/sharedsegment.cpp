#include "sharedsegment.h"

#include "../trace/systemerror.h"
#include "ipcregistry.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <sys/shm.h>
#include <unistd.h>

namespace tl {

namespace {
std::string systemError()
{
    return systemErrorText(errno);
}
}

SharedSegment::SharedSegment(int id, bool owner)
    : m_id(id)
    , m_owner(owner)
{
}

SharedSegment::~SharedSegment()
{
    if (m_data)
        shmdt(m_data);
    if (m_owner) {
        shmctl(m_id, IPC_RMID, nullptr);
        IpcRegistry::instance().forgetObject(IpcKind::Segment, m_id);
    }
}

void SharedSegment::map()
{
    void* data = shmat(m_id, nullptr, 0);
    if (reinterpret_cast<std::intptr_t>(data) == -1) // shmat()'s (void*)-1
        throw std::runtime_error("cannot map shared-memory segment " + std::to_string(m_id) + ": " + systemError());
    m_data = data;
    shmid_ds ds {};
    shmctl(m_id, IPC_STAT, &ds);
    m_size = qsizetype(ds.shm_segsz);
}

std::unique_ptr<SharedSegment> SharedSegment::create(const QString& purpose, qsizetype bytes)
{
    const int id = shmget(IPC_PRIVATE, std::size_t(bytes), IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0)
        throw std::runtime_error(QStringLiteral("cannot create a %1-byte shared-memory segment for %2: %3 (the "
                                                "system limits are in /proc/sys/kernel/shmmax, shmall and shmmni)")
                                     .arg(bytes)
                                     .arg(purpose, QString::fromStdString(systemError()))
                                     .toStdString());
    std::unique_ptr<SharedSegment> segment(new SharedSegment(id, true)); // removes it from here on
    IpcRegistry::instance().recordObject(IpcKind::Segment, id, ipcStatus(IpcKind::Segment, id).createdAt);
    segment->map();
    return segment; // zero-filled: the kernel clears a new segment
}

std::unique_ptr<SharedSegment> SharedSegment::attach(const QString& key)
{
    IpcStatus status;
    const int id = existingIpcId(IpcKind::Segment, key, "shared-memory segment", &status);
    // Only a segment this user made, that no one else can use, made by this process or its parent (the run).
    if (!isPrivateToUs(status) || (status.creatorPid != getpid() && status.creatorPid != getppid()))
        throw std::runtime_error(QStringLiteral("refusing shared-memory segment %1: it is not this run's own "
                                                "(owner uid %2, creator pid %3, mode %4)")
                                     .arg(id)
                                     .arg(status.owner)
                                     .arg(status.creatorPid)
                                     .arg(status.mode, 4, 8, QLatin1Char('0'))
                                     .toStdString());
    std::unique_ptr<SharedSegment> segment(new SharedSegment(id, false));
    segment->map();
    return segment;
}

} // namespace tl
