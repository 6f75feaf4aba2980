#include "outputfile.h"
#include "systemerror.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tl {

namespace {

bool fail(const QString& path, const QString& reason, QString* error)
{
    if (error)
        *error = isStandardOutput(path) ? QStringLiteral("cannot write to standard output: %1").arg(reason)
                                        : QStringLiteral("cannot write %1: %2").arg(path, reason);
    return false;
}

// Gathers the writer's output in large pieces and hands each to the (unbuffered) target whole, or fails
// from then on. Qt's file engine reports a write cut short (a full file system, a file size limit reached
// in the middle of it) as a success with a smaller count, and the painters and encoders ignore counts;
// so the rest is written again, which then fails with the system's reason. Unbuffered, the target keeps
// that reason (its own buffer's flush would lose it, and QSaveFile::commit() in Qt 6.4 would not even
// notice such a failure: it would rename a truncated file over the old one).
class WholeWrites : public QIODevice {
public:
    explicit WholeWrites(QFileDevice& target)
        : m_target(target)
    {
        m_buffer.reserve(kPiece);
        open(QIODevice::WriteOnly | QIODevice::Unbuffered);
    }
    bool isSequential() const override { return true; }
    // Writes what is still gathered; false when any write failed.
    bool finish()
    {
        const bool passed = pass(m_buffer.constData(), m_buffer.size());
        m_buffer.clear();
        return passed;
    }
    // Why it failed: the system's reason (strerror), else that the writer itself gave up.
    QString reason() const
    {
        return m_target.error() != QFileDevice::NoError ? m_target.errorString()
                                                        : QStringLiteral("the output could not be produced");
    }

protected:
    qint64 readData(char*, qint64) override { return -1; }
    qint64 writeData(const char* data, qint64 size) override
    {
        if (m_failed)
            return -1;
        if (m_buffer.size() + size > kPiece && !finish())
            return -1;
        if (size >= kPiece)
            return pass(data, size) ? size : -1;
        m_buffer.append(data, size);
        return size;
    }

private:
    static constexpr qsizetype kPiece = 1 << 16;

    bool pass(const char* data, qint64 size)
    {
        for (qint64 done = 0; done < size && !m_failed;) {
            const qint64 n = m_target.write(data + done, size - done);
            m_failed = n <= 0;
            done += n;
        }
        return !m_failed;
    }

    QFileDevice& m_target;
    QByteArray m_buffer;
    bool m_failed = false;
};

// The kernel's file systems that are not a place for files, as the resolved directory shows them.
QString kernelFileSystem(const QString& canonicalDir)
{
    for (const char* root : { "/proc", "/sys", "/dev" }) {
        QString r = QString::fromLatin1(root);
        if (canonicalDir == r || canonicalDir.startsWith(r + u'/'))
            return r;
    }
    return {};
}

QString fileKind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return QStringLiteral("a FIFO");
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return QStringLiteral("a device");
    if (S_ISSOCK(mode))
        return QStringLiteral("a socket");
    return S_ISDIR(mode) ? QStringLiteral("a directory") : QStringLiteral("not a regular file");
}

QString systemReason(int error)
{
    return QString::fromStdString(systemErrorText(error));
}

// Closes a descriptor when it goes out of scope.
struct Fd {
    int fd = -1;
    ~Fd()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

std::atomic<bool> g_stdoutClosed { false };

} // namespace

std::optional<OutputTarget> resolveOutputTarget(const QString& path, QString* reason)
{
    const auto refuse = [reason](const QString& why) {
        *reason = why;
        return std::nullopt;
    };
    QString current = QFileInfo(path).absoluteFilePath();
    struct stat st { };
    bool exists = false;
    for (int links = 0;; ++links) {
        const QByteArray native = QFile::encodeName(current);
        if (::lstat(native.constData(), &st) != 0) {
            if (errno != ENOENT)
                return refuse(systemReason(errno));
            exists = false;
            break;
        }
        exists = true;
        if (!S_ISLNK(st.st_mode))
            break;
        if (st.st_uid != ::geteuid() && st.st_uid != 0)
            return refuse(QStringLiteral("%1 is a link owned by another user (uid %2); ThreadLab follows only "
                                         "your own links and root's")
                              .arg(current)
                              .arg(st.st_uid));
        if (links >= 40)
            return refuse(systemReason(ELOOP));
        char buffer[PATH_MAX];
        const ssize_t n = ::readlink(native.constData(), buffer, sizeof buffer - 1);
        if (n < 0)
            return refuse(systemReason(errno));
        const QString target = QFile::decodeName(QByteArray(buffer, n));
        current = QFileInfo(target).isAbsolute() ? QDir::cleanPath(target)
                                                 : QDir::cleanPath(QFileInfo(current).absolutePath() + u'/' + target);
    }
    if (exists && !S_ISREG(st.st_mode))
        return refuse(QStringLiteral("is %1, not a regular file").arg(fileKind(st.st_mode)));
    const QFileInfo file(current);
    const QString directory = file.absolutePath();
    const QString canonical = QFileInfo(directory).canonicalFilePath();
    if (canonical.isEmpty())
        return refuse(QStringLiteral("the directory %1 does not exist").arg(directory));
    if (const QString fs = kernelFileSystem(canonical); !fs.isEmpty())
        return refuse(QStringLiteral("is in %1, a kernel file system, not a place for files").arg(fs));
    if (::access(QFile::encodeName(canonical).constData(), W_OK | X_OK) != 0
        || (exists && ::access(QFile::encodeName(current).constData(), W_OK) != 0))
        return refuse(QStringLiteral("not writable"));
    return OutputTarget { canonical, file.fileName() };
}

bool writeOutput(const QString& path, const std::function<bool(QIODevice&)>& write, QString* error)
{
    if (isStandardOutput(path)) {
        if (standardOutputClosed())
            return fail(path, QStringLiteral("it was closed when ThreadLab started"), error);
        QFile out;
        if (!out.open(STDOUT_FILENO, QIODevice::WriteOnly | QIODevice::Unbuffered, QFileDevice::DontCloseHandle))
            return fail(path, out.errorString(), error);
        WholeWrites whole(out);
        if (!write(whole) || !whole.finish())
            return fail(path, whole.reason(), error);
        return true;
    }
    QString reason;
    const auto target = resolveOutputTarget(path, &reason);
    if (!target)
        return fail(path, reason, error);
    // The directory is opened once and everything below happens relative to it: a link swapped in after the
    // check above cannot redirect the temporary file (O_EXCL | O_NOFOLLOW) nor the rename (which replaces a
    // name, never what it points to).
    const Fd dir { ::open(QFile::encodeName(target->directory).constData(), O_DIRECTORY | O_RDONLY | O_CLOEXEC) };
    if (dir.fd < 0)
        return fail(path, systemReason(errno), error);
    const QByteArray name = QFile::encodeName(target->name);
    struct stat old { };
    const bool replacing = ::fstatat(dir.fd, name.constData(), &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (replacing && !S_ISREG(old.st_mode))
        return fail(path, QStringLiteral("is %1, not a regular file").arg(fileKind(old.st_mode)), error);
    const QByteArray temporary
        = '.' + name.left(200) + ".tl-" + QByteArray::number(QRandomGenerator::system()->generate64(), 36);
    const int fd = ::openat(dir.fd, temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
        replacing ? (old.st_mode & 0777) : 0666);
    if (fd < 0)
        return fail(path, systemReason(errno), error);
    const auto discard = [&](const QString& why) {
        ::unlinkat(dir.fd, temporary.constData(), 0);
        return fail(path, why, error);
    };
    QFile file;
    file.open(fd, QIODevice::WriteOnly | QIODevice::Unbuffered, QFileDevice::AutoCloseHandle);
    WholeWrites whole(file);
    if (!write(whole) || !whole.finish())
        return discard(whole.reason());
    if (replacing && ::fchmod(fd, old.st_mode & 0777) != 0)
        return discard(systemReason(errno));
    file.close();
    if (::renameat(dir.fd, temporary.constData(), dir.fd, name.constData()) != 0)
        return discard(systemReason(errno));
    return true;
}

void setStandardOutputClosed(bool closed)
{
    g_stdoutClosed.store(closed);
}

bool standardOutputClosed()
{
    return g_stdoutClosed.load();
}

} // namespace tl
