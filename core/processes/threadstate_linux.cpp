#include "threadstate.h"

#include <QFile>
#include <unistd.h>

namespace tl {

QString threadState(std::int64_t tid)
{
    QFile stat(QStringLiteral("/proc/%1/task/%2/stat").arg(getpid()).arg(tid));
    if (tid <= 0 || !stat.open(QIODevice::ReadOnly))
        return QStringLiteral("finished");
    // Format: "tid (comm) S ..."; comm may contain spaces or parentheses, so look after the last ')'.
    const QByteArray line = stat.readAll();
    const auto close = line.lastIndexOf(')');
    const char state = close >= 0 && close + 2 < line.size() ? line.at(close + 2) : '?';
    switch (state) {
    case 'R':
        return QStringLiteral("running");
    case 'S':
        return QStringLiteral("sleeping");
    case 'D':
        return QStringLiteral("waiting (uninterruptible)");
    case 'T':
    case 't':
        return QStringLiteral("stopped");
    case 'Z':
    case 'X':
        return QStringLiteral("finished");
    default:
        return QStringLiteral("unknown");
    }
}

} // namespace tl
