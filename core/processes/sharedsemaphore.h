#pragma once

#include <QString>
#include <memory>

namespace tl {

// A System V semaphore shared by a run's processes. The parent creates a new one (IPC_PRIVATE: never an
// existing one another user made first), owner-only (0600), listed in the IpcRegistry's ledger by its kernel
// id, and removes it when destroyed; children open it by that id and refuse one that is not private to this
// user. Operations use SEM_UNDO, as Qt's QSystemSemaphore does, so a child killed while holding it does not
// block the others.
//
// Not QSystemSemaphore: Qt 6.4 keys it by ftok() of a key file (16 useful bits) and opens a semaphore that
// already exists under that key, so a local user who made it first (mode 0666) could join a run's lock.
class SharedSemaphore {
public:
    static std::unique_ptr<SharedSemaphore> create(const QString& purpose, int initialValue);
    // `key` is what key() gave the creator (the kernel's id, as text).
    static std::unique_ptr<SharedSemaphore> open(const QString& key);
    ~SharedSemaphore();
    SharedSemaphore(const SharedSemaphore&) = delete;
    SharedSemaphore& operator=(const SharedSemaphore&) = delete;

    QString key() const { return QString::number(m_id); }
    int id() const { return m_id; }
    void acquire();
    void release(int n = 1);

private:
    SharedSemaphore(int id, bool owner);
    void change(int delta, const char* what);
    int m_id;
    bool m_owner;
};

} // namespace tl
