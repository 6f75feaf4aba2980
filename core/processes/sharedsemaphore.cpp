#include "sharedsemaphore.h"

#include "ipcregistry.h"

#include <stdexcept>

namespace tl {

namespace {
void check(const QSystemSemaphore& semaphore, const char* what)
{
    if (semaphore.error() != QSystemSemaphore::NoError)
        throw std::runtime_error(std::string(what) + " system semaphore " + semaphore.key().toStdString() + ": "
            + semaphore.errorString().toStdString());
}
}

SharedSemaphore::SharedSemaphore(const QString& key, int initialValue, QSystemSemaphore::AccessMode mode, bool owner)
    : m_semaphore(key, initialValue, mode)
    , m_owner(owner)
{
}

SharedSemaphore::~SharedSemaphore()
{
    if (m_owner)
        IpcRegistry::instance().forget(m_semaphore.key());
}

std::unique_ptr<SharedSemaphore> SharedSemaphore::create(const QString& purpose, int initialValue)
{
    std::unique_ptr<SharedSemaphore> s(
        new SharedSemaphore(IpcRegistry::instance().newKey(purpose), initialValue, QSystemSemaphore::Create, true));
    check(s->m_semaphore, "cannot create");
    return s;
}

std::unique_ptr<SharedSemaphore> SharedSemaphore::open(const QString& key)
{
    std::unique_ptr<SharedSemaphore> s(new SharedSemaphore(key, 0, QSystemSemaphore::Open, false));
    check(s->m_semaphore, "cannot open");
    return s;
}

void SharedSemaphore::acquire()
{
    if (!m_semaphore.acquire())
        check(m_semaphore, "cannot acquire");
}

void SharedSemaphore::release(int n)
{
    if (!m_semaphore.release(n))
        check(m_semaphore, "cannot release");
}

} // namespace tl
