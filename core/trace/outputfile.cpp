#include "outputfile.h"

#include <QFile>
#include <QSaveFile>
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

} // namespace

bool writeOutput(const QString& path, const std::function<bool(QIODevice&)>& write, QString* error)
{
    QSaveFile file(path);
    QFile out;
    const bool toStdout = isStandardOutput(path);
    const bool opened = toStdout
        ? out.open(STDOUT_FILENO, QIODevice::WriteOnly | QIODevice::Unbuffered, QFileDevice::DontCloseHandle)
        : file.open(QIODevice::WriteOnly | QIODevice::Unbuffered);
    QFileDevice& target = toStdout ? static_cast<QFileDevice&>(out) : file;
    if (!opened)
        return fail(path, target.errorString(), error);
    WholeWrites whole(target);
    if (!write(whole) || !whole.finish())
        return fail(path, whole.reason(), error); // the temporary file is discarded: the old one stays
    if (!toStdout && !file.commit())
        return fail(path, file.errorString(), error);
    return true;
}

} // namespace tl
