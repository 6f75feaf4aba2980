#include "sharedsemaphore.h"

#include "../trace/systemerror.h"
#include "ipcregistry.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/sem.h>

namespace tl {

namespace {
std::runtime_error failure(const std::string& what, int id)
{
    return std::runtime_error(what + " system semaphore " + std::to_string(id) + ": " + systemErrorText(errno));
}
}

SharedSemaphore::SharedSemaphore(int id, bool owner)
    : m_id(id)
    , m_owner(owner)
{
}

SharedSemaphore::~SharedSemaphore()
{
    if (m_owner) {
        semctl(m_id, 0, IPC_RMID);
        IpcRegistry::instance().forgetObject(IpcKind::Semaphore, m_id);
    }
}

std::unique_ptr<SharedSemaphore> SharedSemaphore::create(const QString& purpose, int initialValue)
{
    const int id = semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (id < 0)
        throw std::runtime_error("cannot create a system semaphore for " + purpose.toStdString() + ": "
            + systemErrorText(errno) + " (the system limits are in /proc/sys/kernel/sem)");
    std::unique_ptr<SharedSemaphore> s(new SharedSemaphore(id, true)); // removes it from here on
    if (semctl(id, 0, SETVAL, initialValue) != 0)
        throw failure("cannot set the value of", id);
    // Recorded after SETVAL, which sets the creation time (ctime) the clean-up checks.
    IpcRegistry::instance().recordObject(IpcKind::Semaphore, id, ipcStatus(IpcKind::Semaphore, id).createdAt);
    return s;
}

std::unique_ptr<SharedSemaphore> SharedSemaphore::open(const QString& key)
{
    IpcStatus status;
    const int id = existingIpcId(IpcKind::Semaphore, key, "system semaphore", &status);
    if (!isPrivateToUs(status))
        throw std::runtime_error(QStringLiteral("refusing system semaphore %1: it is not this run's own (owner uid "
                                                "%2, mode %3)")
                                     .arg(id)
                                     .arg(status.owner)
                                     .arg(status.mode, 4, 8, QLatin1Char('0'))
                                     .toStdString());
    return std::unique_ptr<SharedSemaphore>(new SharedSemaphore(id, false));
}

void SharedSemaphore::change(int delta, const char* what)
{
    sembuf op { 0, short(delta), SEM_UNDO };
    while (semop(m_id, &op, 1) != 0)
        if (errno != EINTR)
            throw failure(what, m_id);
}

void SharedSemaphore::acquire()
{
    change(-1, "cannot acquire");
}

void SharedSemaphore::release(int n)
{
    change(n, "cannot release");
}

} // namespace tl
