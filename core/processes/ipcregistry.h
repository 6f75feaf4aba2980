#pragma once

#include <QString>
#include <QStringList>
#include <cstdint>
#include <mutex>

namespace tl {

// The two kinds of System V object ThreadLab makes (shared-memory segments and semaphores).
enum class IpcKind { Segment, Semaphore };

// What the kernel says of one segment or semaphore (IPC_STAT); `exists` is false when the id names none.
struct IpcStatus {
    bool exists = false;
    unsigned owner = 0; // uid
    unsigned creator = 0; // uid
    unsigned mode = 0; // permission bits
    std::int64_t creatorPid = 0; // segments only
    std::int64_t createdAt = 0; // ctime, in seconds
    bool markedForRemoval = false; // a segment removed while a process still has it attached
};
IpcStatus ipcStatus(IpcKind kind, int id);
// The object a child was handed by its id (`key`, as text): throws, naming `what`, unless it is a number
// that names an existing object; its status goes to `status`.
int existingIpcId(IpcKind kind, const QString& key, const char* what, IpcStatus* status);
// Whether this user made the object and no other user can use it (owner and creator are us, mode 0600).
bool isPrivateToUs(const IpcStatus& status);

// System V segments and semaphores and socket files outlive a process killed with SIGKILL. So every one
// that ThreadLab makes is written to this process's ledger in a private directory as it is made: a segment
// or semaphore by the id the kernel gave it and its creation time, a socket by its unguessable key, a key
// file by its path. When the
// next ThreadLab starts, removeStale() finds the ledgers of ThreadLab processes that are gone and removes
// exactly the objects they list that are still there and still theirs.
class IpcRegistry {
public:
    static IpcRegistry& instance();

    // A segment or semaphore this process has just made, with the kernel's id and creation time (ctime).
    void recordObject(IpcKind kind, int id, std::int64_t createdAt);
    // It is removed: drop it from the ledger.
    void forgetObject(IpcKind kind, int id);
    // A key file (named qipc_*) this process made for ftok(), as QSharedMemory and QSystemSemaphore need one.
    void recordKeyFile(const QString& path);
    void forgetKeyFile(const QString& path);
    // "tl-<128 random bits in hex>-<purpose>", a socket's name, recorded in the ledger before it is returned.
    QString newKey(const QString& purpose);
    // The socket is gone; drop it from the ledger.
    void forget(const QString& key);

    // The private (0700) directory for this process's ledger and local sockets: $XDG_RUNTIME_DIR/threadlab or
    // /run/user/<uid>/threadlab, which only this user can make; else a fresh one of this process's own in
    // /tmp (or TMPDIR), threadlab-<uid>-<pid>-<start>-XXXXXX from mkdtemp(), so that no other user can take
    // the name first; it is removed at exit. Throws when none can be made.
    static QString directory();
    // Every such directory of this user that exists now, whatever TMPDIR and XDG_RUNTIME_DIR say: a run
    // killed under another environment left its ledger in one of them.
    static QStringList ledgerDirectories();
    // Where a local socket for `key` lives.
    static QString socketPath(const QString& key);
    // This process's ledger (it exists while the process has objects).
    QString ledgerPath();

    // What a clean-up really removed (objects that were gone already, or are no longer ours, are not counted).
    struct Removed {
        int segments = 0;
        int semaphores = 0;
        int sockets = 0;
        int keyFiles = 0;
        int total() const { return segments + semaphores + sockets + keyFiles; }
        Removed& operator+=(const Removed& other);
    };
    // Removes what the ledgers of ThreadLab processes that no longer run list, and those ledgers.
    static Removed removeStale();
    // The same for one dead process's ledger file (the ledger is removed too).
    static Removed removeLeftBy(const QString& ledgerFile);
    // removeStale() at start-up: says on stderr what it removed; a problem is reported, never fatal.
    static void removeStaleQuietly() noexcept;

private:
    IpcRegistry() = default;
    void add(const QString& entry);
    void drop(const QString& prefix, bool whole = false); // whole: `prefix` is the entire entry
    void writeLedger();

    std::mutex m_mutex;
    QStringList m_entries;
    QString m_ledger;
};

// A local socket's path under a fresh key, for a run's server process; the file is removed (and the key
// forgotten) when this goes out of scope, whether or not the server cleaned up after itself.
class ScopedSocketPath {
public:
    explicit ScopedSocketPath(const QString& purpose);
    ~ScopedSocketPath();
    ScopedSocketPath(const ScopedSocketPath&) = delete;
    ScopedSocketPath& operator=(const ScopedSocketPath&) = delete;
    const QString& path() const { return m_path; }

private:
    QString m_key;
    QString m_path;
};

} // namespace tl
