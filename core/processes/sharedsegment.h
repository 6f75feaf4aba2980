#pragma once

#include <QString>
#include <memory>

namespace tl {

// A System V shared-memory segment made for one run: always a new one (IPC_PRIVATE, so there is no key for
// another user to take first, and nothing existing is ever adopted), owner-only (0600), zero-filled, and in
// the IpcRegistry's ledger by its kernel id. Children attach by that id and refuse a segment that is not
// private to this user. The creator's destructor removes it (the memory goes once every child has detached).
// Errors throw std::runtime_error with a message a person can act on.
//
// Not QSharedMemory: Qt 6.4 names a segment by ftok() of a key file (16 useful bits) and adopts whatever
// already exists under that key, so a local user could squat or join a run.
class SharedSegment {
public:
    static std::unique_ptr<SharedSegment> create(const QString& purpose, qsizetype bytes);
    // `key` is what key() gave the creator (the kernel's id, as text).
    static std::unique_ptr<SharedSegment> attach(const QString& key);
    ~SharedSegment();
    SharedSegment(const SharedSegment&) = delete;
    SharedSegment& operator=(const SharedSegment&) = delete;

    void* data() { return m_data; }
    qsizetype size() const { return m_size; }
    QString key() const { return QString::number(m_id); }
    int id() const { return m_id; }

private:
    SharedSegment(int id, bool owner);
    void map();
    int m_id;
    bool m_owner;
    void* m_data = nullptr;
    qsizetype m_size = 0;
};

} // namespace tl
