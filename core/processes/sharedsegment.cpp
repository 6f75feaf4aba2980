#include "sharedsegment.h"

#include "ipcregistry.h"

#include <stdexcept>

namespace tl {

SharedSegment::SharedSegment(const QString& key, bool owner)
    : m_memory(key)
    , m_owner(owner)
{
}

SharedSegment::~SharedSegment()
{
    m_memory.detach();
    if (m_owner)
        IpcRegistry::instance().forget(m_memory.key());
}

std::unique_ptr<SharedSegment> SharedSegment::create(const QString& purpose, qsizetype bytes)
{
    std::unique_ptr<SharedSegment> segment(new SharedSegment(IpcRegistry::instance().newKey(purpose), true));
    // Qt creates System V segments with mode 0600: only this user can attach.
    if (!segment->m_memory.create(bytes, QSharedMemory::ReadWrite))
        throw std::runtime_error(QStringLiteral("cannot create a %1-byte shared-memory segment: %2 (the system "
                                                "limits are in /proc/sys/kernel/shmmax and shmall)")
                                     .arg(bytes)
                                     .arg(segment->m_memory.errorString())
                                     .toStdString());
    return segment; // zero-filled: the kernel clears a new segment, and this key is new (IPC_EXCL)
}

std::unique_ptr<SharedSegment> SharedSegment::attach(const QString& key)
{
    std::unique_ptr<SharedSegment> segment(new SharedSegment(key, false));
    if (!segment->m_memory.attach(QSharedMemory::ReadWrite))
        throw std::runtime_error(QStringLiteral("cannot attach shared memory %1: %2")
                                     .arg(key, segment->m_memory.errorString())
                                     .toStdString());
    return segment;
}

} // namespace tl
