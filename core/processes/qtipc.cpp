#include "qtipc.h"

#include "../trace/systemerror.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSharedMemory>
#include <QSystemSemaphore>
#include <array>
#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tl {

namespace {
const char* nameOf(IpcKind kind)
{
    return kind == IpcKind::Segment ? "shared-memory segment" : "system semaphore";
}

std::runtime_error failure(const QString& text)
{
    return std::runtime_error(text.toStdString());
}

QString systemError()
{
    return QString::fromStdString(systemErrorText(errno));
}

// Qt 6.4's QSharedMemoryPrivate::makePlatformSafeKey() for System V on Unix.
QString keyFile(const QString& prefix, const QString& key)
{
    QString letters;
    for (const QChar c : key)
        if ((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z'))
            letters += c;
    const QByteArray sha1 = QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha1).toHex();
    return QDir::tempPath() + u'/' + prefix + letters + QString::fromLatin1(sha1);
}

QString statusText(const IpcStatus& status)
{
    return QStringLiteral("owner uid %1, creator uid %2, mode %3")
        .arg(status.owner)
        .arg(status.creator)
        .arg(status.mode, 4, 8, QLatin1Char('0'));
}

// ftok() reads only the file's inode and device, so the file must be one no one else can replace: a plain
// file of this user's (not a link) that no other user may write.
void checkKeyFile(const QString& file)
{
    struct stat st { };
    if (lstat(QFile::encodeName(file).constData(), &st) != 0)
        throw failure(QStringLiteral("cannot use the key file %1: %2").arg(file, systemError()));
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0)
        throw failure(QStringLiteral("refusing the key file %1: it is not a plain file of this user's that only "
                                     "this user can write (owner uid %2, mode %3)")
                          .arg(file)
                          .arg(st.st_uid)
                          .arg(st.st_mode & 07777, 4, 8, QLatin1Char('0')));
}
}

QString qtIpcKey(const QString& purpose)
{
    QString random = qEnvironmentVariable("THREADLAB_IPC_KEY");
    // The keys travel to children space-separated, and a key's letters name its file.
    static const QRegularExpression kPlain(QStringLiteral("^[A-Za-z0-9_-]+$"));
    if (!random.isEmpty() && !kPlain.match(random).hasMatch())
        throw failure(QStringLiteral("THREADLAB_IPC_KEY may hold only letters, digits, '-' and '_'"));
    if (random.isEmpty()) {
        std::array<quint64, 2> bits {};
        QRandomGenerator::system()->fillRange(bits.data(), bits.size());
        random = QStringLiteral("%1%2").arg(bits[0], 16, 16, QLatin1Char('0')).arg(bits[1], 16, 16, QLatin1Char('0'));
    }
    return QStringLiteral("tl-%1-%2").arg(random, purpose);
}

QString qtSegmentKeyFile(const QString& key)
{
    return keyFile(QStringLiteral("qipc_sharedmemory_"), key);
}

QString qtSemaphoreKeyFile(const QString& key)
{
    return keyFile(QStringLiteral("qipc_systemsem_"), key);
}

QtIpcName::QtIpcName(IpcKind kind, QString key)
    : m_kind(kind)
    , m_key(std::move(key))
    , m_file(kind == IpcKind::Segment ? qtSegmentKeyFile(m_key) : qtSemaphoreKeyFile(m_key))
{
}

QString QtIpcName::describe() const
{
    return QStringLiteral("System V key 0x%1 (ftok of %2)").arg(uint(m_systemKey), 8, 16, QLatin1Char('0')).arg(m_file);
}

bool QtIpcName::occupied(int* id, IpcStatus* status) const
{
    // No IPC_CREAT and no permission asked: this finds an object of any user's without touching it.
    *id = m_kind == IpcKind::Segment ? shmget(m_systemKey, 0, 0) : semget(m_systemKey, 0, 0);
    if (*id >= 0) {
        *status = ipcStatus(m_kind, *id);
        return true;
    }
    if (errno == ENOENT)
        return false;
    throw failure(QStringLiteral("cannot look up %1: %2").arg(describe(), systemError()));
}

void QtIpcName::verify(int id, const IpcStatus& status, qint64 creatorPid) const
{
    const bool ours = isPrivateToUs(status)
        && (m_kind == IpcKind::Semaphore || status.creatorPid == creatorPid || status.creatorPid == getpid());
    if (!ours)
        throw failure(QStringLiteral("refusing %1: the %2 on it (id %3) is not this run's own (%4%5)")
                          .arg(describe(), QLatin1String(nameOf(m_kind)))
                          .arg(id)
                          .arg(statusText(status),
                              m_kind == IpcKind::Segment ? QStringLiteral(", creator pid %1").arg(status.creatorPid)
                                                         : QString()));
}

void QtIpcName::reserve()
{
    const QByteArray path = QFile::encodeName(m_file);
    const int fd = ::open(path.constData(), O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        m_madeFile = true;
        IpcRegistry::instance().recordKeyFile(m_file);
    } else if (errno != EEXIST) {
        throw failure(QStringLiteral("cannot make the key file %1: %2").arg(m_file, systemError()));
    }
    checkKeyFile(m_file); // one that existed already is used, as Qt does, if it is ours alone
    m_systemKey = ftok(path.constData(), 'Q'); // as Qt does
    if (m_systemKey == -1)
        throw failure(QStringLiteral("ftok() of %1 failed: %2").arg(m_file, systemError()));
    // Qt would adopt what is there (QSystemSemaphore) or fail without saying whose it is (QSharedMemory).
    int id = -1;
    IpcStatus status;
    if (occupied(&id, &status))
        throw failure(QStringLiteral("refusing %1: a %2 already exists on it (id %3, %4), made by another process "
                                     "before this run, which uses nothing it did not make")
                          .arg(describe(), QLatin1String(nameOf(m_kind)))
                          .arg(id)
                          .arg(statusText(status)));
}

void QtIpcName::adopt()
{
    int id = -1;
    IpcStatus status;
    if (!occupied(&id, &status))
        throw failure(QStringLiteral("%1: Qt made no %2 on it").arg(describe(), QLatin1String(nameOf(m_kind))));
    verify(id, status, getpid());
    m_id = id;
    m_createdAt = status.createdAt;
    IpcRegistry::instance().recordObject(m_kind, id, status.createdAt);
}

void QtIpcName::check(qint64 creatorPid)
{
    checkKeyFile(m_file);
    m_systemKey = ftok(QFile::encodeName(m_file).constData(), 'Q');
    int id = -1;
    IpcStatus status;
    if (m_systemKey == -1 || !occupied(&id, &status))
        throw failure(
            QStringLiteral("%1: no %2 exists on it (any more)").arg(describe(), QLatin1String(nameOf(m_kind))));
    verify(id, status, creatorPid);
}

void QtIpcName::remove()
{
    if (m_id >= 0) {
        // Ids are reused: only the object adopt() saw, if Qt left it.
        const IpcStatus status = ipcStatus(m_kind, m_id);
        if (status.exists && !status.markedForRemoval && status.createdAt == m_createdAt && status.owner == geteuid())
            m_kind == IpcKind::Segment ? shmctl(m_id, IPC_RMID, nullptr) : semctl(m_id, 0, IPC_RMID);
        IpcRegistry::instance().forgetObject(m_kind, m_id);
    }
    if (m_madeFile) {
        ::unlink(QFile::encodeName(m_file).constData()); // Qt removes it too, when it removes the object
        IpcRegistry::instance().forgetKeyFile(m_file);
    }
}

QtSharedSegment::QtSharedSegment(const QString& key, bool owner)
    : m_name(IpcKind::Segment, key)
    , m_owner(owner)
    , m_memory(std::make_unique<QSharedMemory>())
{
    m_memory->setNativeKey(m_name.file());
}

QtSharedSegment::~QtSharedSegment()
{
    m_memory.reset(); // detaches: Qt removes the segment and its key file when no process has it attached
    if (m_owner)
        m_name.remove();
}

std::unique_ptr<QtSharedSegment> QtSharedSegment::create(const QString& purpose, qsizetype bytes)
{
    std::unique_ptr<QtSharedSegment> segment(new QtSharedSegment(qtIpcKey(purpose), true)); // cleans up from here
    segment->m_name.reserve();
    if (!segment->m_memory->create(bytes)) // IPC_EXCL: fails on a segment made after reserve()'s check
        throw failure(QStringLiteral("cannot create a %1-byte QSharedMemory segment for %2 on %3: %4")
                          .arg(bytes)
                          .arg(purpose, segment->m_name.describe(), segment->m_memory->errorString()));
    segment->m_name.adopt();
    return segment; // zero-filled: the kernel clears a new segment
}

std::unique_ptr<QtSharedSegment> QtSharedSegment::attach(const QString& key)
{
    std::unique_ptr<QtSharedSegment> segment(new QtSharedSegment(key, false));
    segment->m_name.check(getppid()); // made by the run, this process's parent
    if (!segment->m_memory->attach())
        throw failure(QStringLiteral("cannot attach the QSharedMemory segment on %1: %2")
                          .arg(segment->m_name.describe(), segment->m_memory->errorString()));
    return segment;
}

void* QtSharedSegment::data()
{
    return m_memory->data();
}

QtSharedSemaphore::QtSharedSemaphore(const QString& key, bool owner)
    : m_name(IpcKind::Semaphore, key)
    , m_owner(owner)
{
}

QtSharedSemaphore::~QtSharedSemaphore()
{
    m_semaphore.reset(); // the creator's QSystemSemaphore removes the semaphore and its key file
    if (m_owner)
        m_name.remove();
}

std::unique_ptr<QtSharedSemaphore> QtSharedSemaphore::create(const QString& purpose, int initialValue)
{
    std::unique_ptr<QtSharedSemaphore> s(new QtSharedSemaphore(qtIpcKey(purpose), true)); // cleans up from here
    s->m_name.reserve();
    s->m_semaphore = std::make_unique<QSystemSemaphore>(s->key(), initialValue, QSystemSemaphore::Create);
    if (s->m_semaphore->error() != QSystemSemaphore::NoError)
        throw failure(QStringLiteral("cannot create a QSystemSemaphore for %1 on %2: %3")
                          .arg(purpose, s->m_name.describe(), s->m_semaphore->errorString()));
    s->m_name.adopt(); // made after reserve()'s check, Qt would have adopted it: refused here
    return s;
}

std::unique_ptr<QtSharedSemaphore> QtSharedSemaphore::open(const QString& key)
{
    std::unique_ptr<QtSharedSemaphore> s(new QtSharedSemaphore(key, false));
    s->m_name.check(0);
    s->m_semaphore = std::make_unique<QSystemSemaphore>(key, 0, QSystemSemaphore::Open);
    if (s->m_semaphore->error() != QSystemSemaphore::NoError)
        throw failure(QStringLiteral("cannot open the QSystemSemaphore on %1: %2")
                          .arg(s->m_name.describe(), s->m_semaphore->errorString()));
    return s;
}

void QtSharedSemaphore::acquire()
{
    if (!m_semaphore->acquire())
        throw failure(QStringLiteral("cannot acquire the QSystemSemaphore on %1: %2")
                          .arg(m_name.describe(), m_semaphore->errorString()));
}

void QtSharedSemaphore::release(int n)
{
    if (!m_semaphore->release(n))
        throw failure(QStringLiteral("cannot release the QSystemSemaphore on %1: %2")
                          .arg(m_name.describe(), m_semaphore->errorString()));
}

} // namespace tl
