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

// The device's own error (strerror of the failed call) when it has one, else the writer's failure.
QString reasonOf(const QFileDevice& device)
{
    return device.error() != QFileDevice::NoError ? device.errorString()
                                                  : QStringLiteral("the output could not be produced");
}

} // namespace

bool writeOutput(const QString& path, const std::function<bool(QIODevice&)>& write, QString* error)
{
    if (isStandardOutput(path)) {
        QFile out;
        if (!out.open(STDOUT_FILENO, QIODevice::WriteOnly | QIODevice::Unbuffered, QFileDevice::DontCloseHandle))
            return fail(path, out.errorString(), error);
        if (!write(out) || out.error() != QFileDevice::NoError)
            return fail(path, reasonOf(out), error);
        return true;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return fail(path, file.errorString(), error);
    // Qt 6.4's commit() does not notice a failure of the flush of its last buffer (a full file system, a
    // file size limit): it would rename a truncated file over the old one. So flush and check first; on any
    // failure the destructor discards the temporary file and the old file stays as it was.
    if (!write(file) || !file.flush() || file.error() != QFileDevice::NoError)
        return fail(path, reasonOf(file), error);
    if (!file.commit())
        return fail(path, file.errorString(), error);
    return true;
}

} // namespace tl
