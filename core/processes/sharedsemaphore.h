#pragma once

#include <QSystemSemaphore>
#include <memory>

namespace tl {

// A QSystemSemaphore shared by a run's processes: the parent creates it under a fresh per-run key from the
// IpcRegistry (and removes it when destroyed); children open it by key. Qt's System V semaphores undo a
// process's operations when it dies, so a child killed while holding it does not block the others.
class SharedSemaphore {
public:
    static std::unique_ptr<SharedSemaphore> create(const QString& purpose, int initialValue);
    static std::unique_ptr<SharedSemaphore> open(const QString& key);
    ~SharedSemaphore();
    SharedSemaphore(const SharedSemaphore&) = delete;
    SharedSemaphore& operator=(const SharedSemaphore&) = delete;

    QString key() const { return m_semaphore.key(); }
    void acquire();
    void release(int n = 1);

private:
    SharedSemaphore(const QString& key, int initialValue, QSystemSemaphore::AccessMode mode, bool owner);
    QSystemSemaphore m_semaphore;
    bool m_owner;
};

} // namespace tl
