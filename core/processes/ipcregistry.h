#pragma once

#include <QString>
#include <QStringList>
#include <mutex>

namespace tl {

// System V shared memory and semaphores (what QSharedMemory and QSystemSemaphore use on Linux with Qt 6.4)
// and socket files outlive a process killed with SIGKILL. So every such resource ThreadLab makes is named
// here first: an unguessable key, written to this process's ledger in a private directory. When the next
// ThreadLab starts, removeStale() finds the ledgers of ThreadLab processes that are gone and removes what
// they left behind.
class IpcRegistry {
public:
    static IpcRegistry& instance();

    // "tl-<128 random bits in hex>-<purpose>", recorded in the ledger before it is returned.
    QString newKey(const QString& purpose);
    // The resource is gone; drop it from the ledger.
    void forget(const QString& key);

    // The private (0700) directory for ledgers and local sockets: $XDG_RUNTIME_DIR/threadlab, or
    // <temp>/threadlab-<uid> when there is no runtime directory. Throws when it cannot be made private.
    static QString directory();
    // Where a local socket for `key` lives.
    static QString socketPath(const QString& key);
    // Removes the segments, semaphores and sockets listed by ledgers of ThreadLab processes that no longer
    // run; returns how many keys it cleaned up.
    static int removeStale();
    // The same at start-up: a problem is reported on stderr, never fatal.
    static void removeStaleQuietly() noexcept;
    // Removes the resources of one key (segment, semaphore, socket file), whichever exist.
    static void removeResources(const QString& key);

private:
    IpcRegistry() = default;
    void writeLedger();
    QString ledgerPath();

    std::mutex m_mutex;
    QStringList m_keys;
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
