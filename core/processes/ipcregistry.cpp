#include "ipcregistry.h"

#include "procfs.h"

#include "../trace/outputfile.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace tl {

namespace {
const QString kLedgerSuffix = QStringLiteral(".keys");
const QString kSegmentTag = QStringLiteral("shm");
const QString kSemaphoreTag = QStringLiteral("sem");
const QString kSocketTag = QStringLiteral("sock");
const QString kKeyFileTag = QStringLiteral("file");
const QString kKeyFilePrefix = QStringLiteral("qipc_");

QString tagOf(IpcKind kind)
{
    return kind == IpcKind::Segment ? kSegmentTag : kSemaphoreTag;
}

// A directory of ours that no one else can use: owned by us, not a link, mode 0700.
bool isPrivateDirectory(const QString& path)
{
    struct stat st { };
    return lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid()
        && (st.st_mode & 0777) == 0700;
}

bool makePrivateDirectory(const QString& path)
{
    QDir().mkdir(path);
    struct stat st { };
    if (lstat(QFile::encodeName(path).constData(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
        return false;
    return chmod(QFile::encodeName(path).constData(), 0700) == 0;
}

// The user's runtime directories (made by the system for this user alone, so no one else can take a name in
// them first), in the order directory() prefers them; only those that exist.
QStringList runtimeDirectories()
{
    const QString uid = QString::number(geteuid());
    QStringList dirs;
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty() && QDir(runtime).exists())
        dirs << runtime + QStringLiteral("/threadlab");
    if (QDir(QStringLiteral("/run/user/") + uid).exists())
        dirs << QStringLiteral("/run/user/%1/threadlab").arg(uid);
    dirs.removeDuplicates();
    return dirs;
}

// Shared temporary directories (/tmp first: a ledger must be found by the next start even if that has
// another TMPDIR). Any user can make a name there first, so ThreadLab never takes a fixed one: each process
// makes its own with mkdtemp(), named after its pid and start time so the next start can tell a dead one's.
QStringList temporaryParents()
{
    QStringList dirs { QStringLiteral("/tmp"), QDir::tempPath() };
    dirs.removeDuplicates();
    return dirs;
}

QString perProcessPrefix()
{
    return QStringLiteral("threadlab-%1-").arg(geteuid());
}

// This process's directory in /tmp: "threadlab-UID-PID-START-XXXXXX", 0700, ours (mkdtemp makes it so).
QString makePerProcessDirectory(const QString& parent)
{
    QByteArray path = QFile::encodeName(parent + u'/' + perProcessPrefix()
        + QStringLiteral("%1-%2-XXXXXX").arg(getpid()).arg(processStartTime(getpid())));
    return ::mkdtemp(path.data()) && isPrivateDirectory(QFile::decodeName(path)) ? QFile::decodeName(path) : QString();
}

// The process a per-process directory belongs to, from its name: pid and start time, or {0, ""}.
std::pair<qint64, QString> ownerOfDirectory(const QString& name)
{
    const QStringList parts = name.mid(perProcessPrefix().size()).split(u'-');
    return parts.size() == 3 ? std::pair { parts[0].toLongLong(), parts[1] } : std::pair { qint64(0), QString() };
}

// Removes a segment or semaphore a dead ThreadLab listed, if it is still the one it made: same id, made by
// us at the recorded time (and, for a segment, by that process). Ids are reused, so each check matters.
bool removeIfStillTheirs(IpcKind kind, int id, std::int64_t createdAt, std::int64_t creatorPid)
{
    const IpcStatus status = ipcStatus(kind, id);
    if (!status.exists || status.markedForRemoval || status.owner != geteuid() || status.creator != geteuid()
        || status.createdAt != createdAt || (kind == IpcKind::Segment && status.creatorPid != creatorPid))
        return false;
    return kind == IpcKind::Segment ? shmctl(id, IPC_RMID, nullptr) == 0 : semctl(id, 0, IPC_RMID) == 0;
}
}

int existingIpcId(IpcKind kind, const QString& key, const char* what, IpcStatus* status)
{
    bool isNumber = false;
    const int id = key.toInt(&isNumber);
    if (!isNumber || id < 0)
        throw std::runtime_error(std::string("not a ") + what + " id: '" + key.toStdString() + "'");
    *status = ipcStatus(kind, id);
    if (!status->exists)
        throw std::runtime_error(std::string(what) + " " + std::to_string(id) + " does not exist (any more)");
    return id;
}

IpcStatus ipcStatus(IpcKind kind, int id)
{
    IpcStatus status;
    if (kind == IpcKind::Segment) {
        shmid_ds ds {};
        if (shmctl(id, IPC_STAT, &ds) != 0)
            return status;
        status.owner = ds.shm_perm.uid;
        status.creator = ds.shm_perm.cuid;
        status.mode = ds.shm_perm.mode & 0777;
        status.creatorPid = ds.shm_cpid;
        status.createdAt = ds.shm_ctime;
        status.markedForRemoval = (ds.shm_perm.mode & SHM_DEST) != 0;
    } else {
        semid_ds ds {};
        if (semctl(id, 0, IPC_STAT, &ds) != 0)
            return status;
        status.owner = ds.sem_perm.uid;
        status.creator = ds.sem_perm.cuid;
        status.mode = ds.sem_perm.mode & 0777;
        status.createdAt = ds.sem_ctime;
    }
    status.exists = true;
    return status;
}

bool isPrivateToUs(const IpcStatus& status)
{
    return status.exists && status.owner == geteuid() && status.creator == geteuid() && status.mode == 0600;
}

IpcRegistry& IpcRegistry::instance()
{
    static IpcRegistry registry;
    return registry;
}

namespace {
// The directory of this process, made on first use; a per-process one in /tmp is removed at exit.
struct OwnDirectory {
    QString path;
    bool perProcess = false;
    OwnDirectory()
    {
        for (const QString& candidate : runtimeDirectories())
            if (makePrivateDirectory(candidate)) {
                path = candidate;
                return;
            }
        for (const QString& parent : temporaryParents())
            if (path = makePerProcessDirectory(parent); !path.isEmpty()) {
                perProcess = true;
                return;
            }
        throw std::runtime_error("cannot make a private directory for ThreadLab's shared-memory bookkeeping in "
            + (runtimeDirectories() + temporaryParents()).join(QStringLiteral(", ")).toStdString()
            + ": each must exist and be writable by you");
    }
    ~OwnDirectory()
    {
        if (perProcess)
            ::rmdir(QFile::encodeName(path).constData()); // only when empty: a run's sockets are gone by now
    }
};
}

QString IpcRegistry::directory()
{
    static const OwnDirectory dir;
    return dir.path;
}

QStringList IpcRegistry::ledgerDirectories()
{
    QStringList dirs = runtimeDirectories();
    for (const QString& parent : temporaryParents()) {
        // Before each process made its own: "threadlab-UID", still searched for what an older version left.
        dirs << parent + QStringLiteral("/threadlab-%1").arg(geteuid());
        for (const QString& name : QDir(parent).entryList({ perProcessPrefix() + u'*' }, QDir::Dirs | QDir::Hidden))
            dirs << parent + u'/' + name;
    }
    dirs.removeDuplicates();
    dirs.removeIf([](const QString& path) { return !isPrivateDirectory(path); });
    return dirs;
}

QString IpcRegistry::socketPath(const QString& key)
{
    return directory() + u'/' + key + QStringLiteral(".sock");
}

QString IpcRegistry::ledgerPath()
{
    std::lock_guard lock(m_mutex);
    if (m_ledger.isEmpty())
        m_ledger = directory() + QStringLiteral("/%1-%2").arg(getpid()).arg(processStartTime(getpid())) + kLedgerSuffix;
    return m_ledger;
}

void IpcRegistry::recordObject(IpcKind kind, int id, std::int64_t createdAt)
{
    add(QStringLiteral("%1 %2 %3").arg(tagOf(kind)).arg(id).arg(createdAt));
}

void IpcRegistry::forgetObject(IpcKind kind, int id)
{
    drop(QStringLiteral("%1 %2 ").arg(tagOf(kind)).arg(id));
}

void IpcRegistry::recordKeyFile(const QString& path)
{
    add(kKeyFileTag + u' ' + path);
}

void IpcRegistry::forgetKeyFile(const QString& path)
{
    drop(kKeyFileTag + u' ' + path, true); // the whole line: one path may begin another
}

QString IpcRegistry::newKey(const QString& purpose)
{
    quint64 random[2];
    QRandomGenerator::system()->fillRange(random);
    QString key = QStringLiteral("tl-%1%2-%3")
                      .arg(random[0], 16, 16, QLatin1Char('0'))
                      .arg(random[1], 16, 16, QLatin1Char('0'))
                      .arg(purpose);
    add(kSocketTag + u' ' + key);
    return key;
}

void IpcRegistry::forget(const QString& key)
{
    drop(kSocketTag + u' ' + key);
}

void IpcRegistry::add(const QString& entry)
{
    ledgerPath();
    std::lock_guard lock(m_mutex);
    m_entries << entry;
    writeLedger();
}

void IpcRegistry::drop(const QString& prefix, bool whole)
{
    std::lock_guard lock(m_mutex);
    if (m_entries.removeIf([&](const QString& e) { return whole ? e == prefix : e.startsWith(prefix); }) > 0)
        writeLedger();
}

void IpcRegistry::writeLedger()
{
    if (m_entries.isEmpty()) {
        QFile::remove(m_ledger);
        return;
    }
    const QByteArray text = m_entries.join(u'\n').toUtf8() + '\n';
    writeOutput(
        m_ledger, [&](QIODevice& out) { return out.write(text) == text.size(); }, nullptr);
}

IpcRegistry::Removed& IpcRegistry::Removed::operator+=(const Removed& other)
{
    segments += other.segments;
    semaphores += other.semaphores;
    sockets += other.sockets;
    keyFiles += other.keyFiles;
    return *this;
}

IpcRegistry::Removed IpcRegistry::removeLeftBy(const QString& ledgerFile)
{
    Removed removed;
    const QString name = QFileInfo(ledgerFile).fileName();
    const std::int64_t creatorPid = name.section(u'-', 0, 0).toLongLong();
    QFile ledger(ledgerFile);
    if (!ledger.open(QIODevice::ReadOnly))
        return removed;
    const QString socketDir = QFileInfo(ledgerFile).absolutePath();
    for (const QByteArray& line : ledger.readAll().split('\n')) {
        const QStringList fields = QString::fromUtf8(line).split(u' ', Qt::SkipEmptyParts);
        if (fields.size() == 3 && (fields[0] == kSegmentTag || fields[0] == kSemaphoreTag)) {
            const IpcKind kind = fields[0] == kSegmentTag ? IpcKind::Segment : IpcKind::Semaphore;
            bool idOk = false;
            const int id = fields[1].toInt(&idOk);
            if (idOk && removeIfStillTheirs(kind, id, fields[2].toLongLong(), creatorPid))
                ++(kind == IpcKind::Segment ? removed.segments : removed.semaphores);
        } else if (fields.size() == 2 && fields[0] == kSocketTag && fields[1].startsWith(u"tl-")
            && !fields[1].contains(u'/')) {
            removed.sockets += QFile::remove(socketDir + u'/' + fields[1] + QStringLiteral(".sock"));
        } else if (const QString path = QString::fromUtf8(line).section(u' ', 1);
                   QString::fromUtf8(line).startsWith(kKeyFileTag + u' ')
                   && QFileInfo(path).fileName().startsWith(kKeyFilePrefix)) {
            // Only a plain file of ours: the path came from our own ledger, but a link or another user's file
            // is never what a run made.
            struct stat st { };
            const QByteArray name = QFile::encodeName(path);
            if (lstat(name.constData(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid())
                removed.keyFiles += ::unlink(name.constData()) == 0;
        }
    }
    // A segment made just before the kill may not have reached the ledger yet: the kernel still names its
    // creator. Ours, made by that ThreadLab, owner-only and attached by no one: it is what the run left.
    QFile table(QStringLiteral("/proc/sysvipc/shm"));
    if (creatorPid > 0 && table.open(QIODevice::ReadOnly)) {
        table.readLine(); // the header
        for (QByteArray row = table.readLine(); !row.isEmpty(); row = table.readLine()) {
            const QList<QByteArray> f = row.simplified().split(' ');
            // key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime ...
            if (f.size() < 14 || f[4].toLongLong() != creatorPid || f[6].toLongLong() != 0 || f[7].toUInt() != geteuid()
                || f[9].toUInt() != geteuid() || (f[2].toUInt(nullptr, 8) & 0777) != 0600)
                continue;
            if (removeIfStillTheirs(IpcKind::Segment, f[1].toInt(), f[13].toLongLong(), creatorPid))
                ++removed.segments;
        }
    }
    ledger.remove();
    return removed;
}

IpcRegistry::Removed IpcRegistry::removeStale()
{
    Removed removed;
    for (const QString& path : ledgerDirectories()) {
        QDir dir(path);
        for (const QString& name : dir.entryList({ QLatin1Char('*') + kLedgerSuffix }, QDir::Files)) {
            const QStringList idAndStart = name.chopped(kLedgerSuffix.size()).split(u'-');
            if (idAndStart.size() != 2)
                continue;
            const qint64 pid = idAndStart[0].toLongLong();
            if (pid == getpid() || processRuns(pid, idAndStart[1]))
                continue; // ours, or a ThreadLab that still runs (a zombie's objects are orphans: it cannot free them)
            removed += removeLeftBy(dir.filePath(name));
        }
        // A per-process directory of a ThreadLab that is gone, emptied above.
        if (const auto [pid, start] = ownerOfDirectory(QFileInfo(path).fileName());
            pid > 0 && pid != getpid() && !processRuns(pid, start))
            ::rmdir(QFile::encodeName(path).constData());
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
        const Removed removed = removeStale();
        if (removed.total() > 0)
            qInfo("Removed %d shared-memory segment(s), %d semaphore(s), %d socket file(s) and %d key file(s) left by "
                  "a ThreadLab that was killed",
                removed.segments, removed.semaphores, removed.sockets, removed.keyFiles);
    } catch (const std::exception& e) {
        qWarning("%s", e.what());
    }
}

} // namespace tl
