#pragma once

#include <QSharedMemory>
#include <QString>
#include <memory>

namespace tl {

// A QSharedMemory segment with a fresh per-run key from the IpcRegistry, owner-only access, zero-filled.
// The creator's destructor detaches, which removes the segment once no process has it attached; a child
// attaches by key and detaches when it exits. Errors throw std::runtime_error with a message a person can
// act on.
class SharedSegment {
public:
    static std::unique_ptr<SharedSegment> create(const QString& purpose, qsizetype bytes);
    static std::unique_ptr<SharedSegment> attach(const QString& key);
    ~SharedSegment();
    SharedSegment(const SharedSegment&) = delete;
    SharedSegment& operator=(const SharedSegment&) = delete;

    void* data() { return m_memory.data(); }
    qsizetype size() const { return m_memory.size(); }
    QString key() const { return m_memory.key(); }

private:
    SharedSegment(const QString& key, bool owner);
    QSharedMemory m_memory;
    bool m_owner;
};

} // namespace tl
