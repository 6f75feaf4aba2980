#pragma once

#include "ipcregistry.h"

#include <QString>
#include <cstdint>
#include <memory>
#include <sys/types.h>

class QSharedMemory;
class QSystemSemaphore;

namespace tl {

// Qt 6.4's System V QSharedMemory and QSystemSemaphore, hardened where Qt is weak. Qt names each object by
// ftok(key file, 'Q'): 16 useful bits of the file's inode, which another local user can take first, and
// QSystemSemaphore (even with Create) adopts a semaphore that exists under that key. So:
// - every object gets its own key, "tl-<128 random bits>-<purpose>";
// - the creator makes the key file itself (O_EXCL, 0600, no link followed; one that exists already is used,
//   as Qt does, only if it is a plain file of this user's that no one else may write) and lists it in the
//   IpcRegistry's ledger, so a killed run's file is removed by the next start;
// - before Qt makes the object, the key must be free: an object already on it is refused, never adopted;
// - after Qt made it, the kernel must say it is ours (owner and creator this user, mode 0600, a segment made
//   by this process); children check the same before they open it, and the segment's creator is their parent;
// - it is listed in the ledger by its kernel id, and removed by that id when the creator is done, whatever
//   Qt did (Qt keeps a segment that a process still has attached).
// A refusal throws std::runtime_error naming the key (as 0x… and its key file). The segment uses
// setNativeKey() with the file setKey() would use: setKey() would also make a QSystemSemaphore of its own,
// on another ftok key, that Qt opens without a check.

// Test seam: THREADLAB_IPC_KEY=<letters, digits, - or _> replaces the random part, so a test can tell the
// keys (and key files) a run will use; the checks above hold all the same.
QString qtIpcKey(const QString& purpose);
// Where Qt 6.4 keeps the key file for a key: QDir::tempPath()/qipc_sharedmemory_ or qipc_systemsem_, then
// the key's letters, then the SHA-1 of the key in hex.
QString qtSegmentKeyFile(const QString& key);
QString qtSemaphoreKeyFile(const QString& key);

// One object's names and what the kernel says of it: the part both classes share.
class QtIpcName {
public:
    QtIpcName(IpcKind kind, QString key);
    // The creator's steps: the key file (made, or an existing plain file of ours), its ftok key, which must be
    // free; after Qt made the object, adopt() checks it is ours and lists it in the ledger.
    void reserve();
    void adopt();
    // An opener's: the key file exists and is ours, the object on its ftok key too (a segment made by
    // `creatorPid` or by this process).
    void check(qint64 creatorPid);
    // The creator's: removes the object by its kernel id (if it is still the one adopt() saw) and the key file.
    void remove();

    const QString& key() const { return m_key; }
    const QString& file() const { return m_file; }
    key_t systemKey() const { return m_systemKey; }
    // "System V key 0x… (ftok of <key file>)", for messages.
    QString describe() const;

private:
    // Whether an object (of any user's) is on the key now, and which.
    bool occupied(int* id, IpcStatus* status) const;
    // Throws unless it is ours alone (and a segment was made by `creatorPid` or by this process).
    void verify(int id, const IpcStatus& status, qint64 creatorPid) const;
    IpcKind m_kind;
    QString m_key;
    QString m_file;
    bool m_madeFile = false;
    key_t m_systemKey = -1;
    int m_id = -1; // set by adopt()
    std::int64_t m_createdAt = 0;
};

class QtSharedSegment {
public:
    static std::unique_ptr<QtSharedSegment> create(const QString& purpose, qsizetype bytes);
    // `key` is what key() gave the creator.
    static std::unique_ptr<QtSharedSegment> attach(const QString& key);
    ~QtSharedSegment();
    QtSharedSegment(const QtSharedSegment&) = delete;
    QtSharedSegment& operator=(const QtSharedSegment&) = delete;

    void* data();
    QString key() const { return m_name.key(); }
    key_t systemKey() const { return m_name.systemKey(); }

private:
    QtSharedSegment(const QString& key, bool owner);
    QtIpcName m_name;
    bool m_owner;
    std::unique_ptr<QSharedMemory> m_memory;
};

class QtSharedSemaphore {
public:
    static std::unique_ptr<QtSharedSemaphore> create(const QString& purpose, int initialValue);
    // `key` is what key() gave the creator.
    static std::unique_ptr<QtSharedSemaphore> open(const QString& key);
    ~QtSharedSemaphore();
    QtSharedSemaphore(const QtSharedSemaphore&) = delete;
    QtSharedSemaphore& operator=(const QtSharedSemaphore&) = delete;

    QString key() const { return m_name.key(); }
    key_t systemKey() const { return m_name.systemKey(); }
    void acquire();
    void release(int n = 1);

private:
    QtSharedSemaphore(const QString& key, bool owner);
    QtIpcName m_name;
    bool m_owner;
    std::unique_ptr<QSystemSemaphore> m_semaphore;
};

} // namespace tl
