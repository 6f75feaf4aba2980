#include "ipcregistry.h"

#include "procfs.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QSharedMemory>
#include <QSystemSemaphore>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace tl {

namespace {
const QString kLedgerSuffix = QStringLiteral(".keys");

bool makePrivateDirectory(const QString& path)
{
    QDir().mkpath(path);
    struct stat st { };
    if (lstat(QFile::encodeName(path).constData(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return false;
    return chmod(QFile::encodeName(path).constData(), 0700) == 0;
}
}

IpcRegistry& IpcRegistry::instance()
{
    static IpcRegistry registry;
    return registry;
}

QString IpcRegistry::directory()
{
    static const QString dir = [] {
        const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
        const QString path = !runtime.isEmpty() && QDir(runtime).exists()
            ? runtime + QStringLiteral("/threadlab")
            : QDir::tempPath() + QStringLiteral("/threadlab-%1").arg(geteuid());
        if (!makePrivateDirectory(path))
            throw std::runtime_error("cannot use " + path.toStdString()
                + " for ThreadLab's shared-memory bookkeeping: it must be a directory owned by you");
        return path;
    }();
    return dir;
}

QString IpcRegistry::socketPath(const QString& key)
{
    return directory() + u'/' + key + QStringLiteral(".sock");
}

QString IpcRegistry::ledgerPath()
{
    if (m_ledger.isEmpty())
        m_ledger = directory() + QStringLiteral("/%1-%2").arg(getpid()).arg(processStartTime(getpid())) + kLedgerSuffix;
    return m_ledger;
}

QString IpcRegistry::newKey(const QString& purpose)
{
    quint64 random[2];
    QRandomGenerator::system()->fillRange(random);
    const QString key = QStringLiteral("tl-%1%2-%3")
                            .arg(random[0], 16, 16, QLatin1Char('0'))
                            .arg(random[1], 16, 16, QLatin1Char('0'))
                            .arg(purpose);
    std::lock_guard lock(m_mutex);
    m_keys << key;
    writeLedger();
    return key;
}

void IpcRegistry::forget(const QString& key)
{
    std::lock_guard lock(m_mutex);
    if (m_keys.removeAll(key) > 0)
        writeLedger();
}

void IpcRegistry::writeLedger()
{
    const QString path = ledgerPath();
    if (m_keys.isEmpty()) {
        QFile::remove(path);
        return;
    }
    QSaveFile file(path);
    if (file.open(QIODevice::WriteOnly)) {
        file.write(m_keys.join(u'\n').toUtf8());
        file.commit();
    }
}

void IpcRegistry::removeResources(const QString& key)
{
    // Qt 6.4 gives a QSharedMemory's internal lock the same System V semaphore as a QSystemSemaphore of
    // the same key, and either may have been left at 0 (a semaphore made with 0, or a lock held when its
    // owner was killed): attaching would then wait for ever. So first reset it to 1. Create mode makes
    // the object the semaphore's owner (whether or not it existed), and the owner removes it when destroyed.
    auto resetAndRemoveSemaphore = [&] { QSystemSemaphore semaphore(key, 1, QSystemSemaphore::Create); };
    resetAndRemoveSemaphore();
    {
        // On Unix a segment is destroyed when the last process detaches, so attaching and detaching
        // removes an orphan.
        QSharedMemory segment(key);
        if (segment.attach())
            segment.detach();
    }
    resetAndRemoveSemaphore(); // the lock attach() just made
    QFile::remove(socketPath(key));
}

int IpcRegistry::removeStale()
{
    QDir dir(directory());
    int removed = 0;
    for (const QString& name : dir.entryList({ QLatin1Char('*') + kLedgerSuffix }, QDir::Files)) {
        const QStringList idAndStart = name.chopped(kLedgerSuffix.size()).split(u'-');
        if (idAndStart.size() != 2)
            continue;
        const qint64 pid = idAndStart[0].toLongLong();
        if (pid == getpid() || (processStartTime(pid) == idAndStart[1] && !idAndStart[1].isEmpty()))
            continue; // ours, or a ThreadLab that still runs
        QFile ledger(dir.filePath(name));
        if (!ledger.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray& key : ledger.readAll().split('\n'))
            if (key.startsWith("tl-")) {
                removeResources(QString::fromUtf8(key));
                ++removed;
            }
        ledger.remove();
    }
    return removed;
}

ScopedSocketPath::ScopedSocketPath(const QString& purpose)
    : m_key(IpcRegistry::instance().newKey(purpose))
    , m_path(IpcRegistry::socketPath(m_key))
{
}

ScopedSocketPath::~ScopedSocketPath()
{
    QFile::remove(m_path);
    IpcRegistry::instance().forget(m_key);
}

void IpcRegistry::removeStaleQuietly() noexcept
{
    try {
        const int removed = removeStale();
        if (removed > 0)
            qInfo("Removed the shared memory, semaphores and sockets of %d objects left by a ThreadLab that was killed",
                removed);
    } catch (const std::exception& e) {
        qWarning("%s", e.what());
    }
}

} // namespace tl
