#include "procfs.h"

#include <QFile>
#include <QList>
#include <unistd.h>

namespace tl {

namespace {
// The fields of a /proc stat file after "pid (comm)", from the state (field 3) on. comm may hold spaces and
// parentheses, so the split starts after the last ')'.
QList<QByteArray> statFields(const QString& path)
{
    QFile stat(path);
    if (!stat.open(QIODevice::ReadOnly))
        return {};
    const QByteArray line = stat.readAll();
    const auto close = line.lastIndexOf(')');
    return close < 0 ? QList<QByteArray>() : line.mid(close + 2).split(' ');
}
constexpr int kState = 0; // field 3
constexpr int kUserTime = 11; // field 14
constexpr int kSystemTime = 12; // field 15
constexpr int kStartTime = 19; // field 22
}

QString threadState(std::int64_t tid)
{
    const auto fields
        = tid > 0 ? statFields(QStringLiteral("/proc/%1/task/%2/stat").arg(getpid()).arg(tid)) : QList<QByteArray>();
    const char state = fields.isEmpty() || fields[kState].isEmpty() ? 'X' : fields[kState].at(0);
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

std::int64_t processCpuNs(std::int64_t pid)
{
    const auto fields = statFields(QStringLiteral("/proc/%1/stat").arg(pid));
    if (fields.size() <= kSystemTime)
        return 0;
    static const double nsPerTick = 1e9 / double(sysconf(_SC_CLK_TCK));
    return std::int64_t(double(fields[kUserTime].toLongLong() + fields[kSystemTime].toLongLong()) * nsPerTick);
}

QString processStartTime(std::int64_t pid)
{
    const auto fields = statFields(QStringLiteral("/proc/%1/stat").arg(pid));
    return fields.size() > kStartTime ? QString::fromLatin1(fields[kStartTime]) : QString();
}

bool processRuns(std::int64_t pid, const QString& startTime)
{
    const auto fields = statFields(QStringLiteral("/proc/%1/stat").arg(pid));
    return !startTime.isEmpty() && fields.size() > kStartTime && fields[kState] != "Z" && fields[kState] != "X"
        && QString::fromLatin1(fields[kStartTime]) == startTime;
}

MemoryUse memoryUse(std::int64_t pid)
{
    QFile file(QStringLiteral("/proc/%1/smaps_rollup").arg(pid));
    MemoryUse use;
    if (!file.open(QIODevice::ReadOnly))
        return use;
    for (const QByteArray& line : file.readAll().split('\n')) {
        const auto fields = line.simplified().split(' ');
        if (fields.size() < 2)
            continue;
        if (fields[0] == "Rss:")
            use.rssKb = fields[1].toLongLong();
        else if (fields[0] == "Pss:")
            use.pssKb = fields[1].toLongLong();
    }
    return use;
}

std::int64_t residentKbOfMapping(const void* address)
{
    QFile file(QStringLiteral("/proc/self/smaps"));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    const auto at = quintptr(address);
    bool inside = false;
    for (const QByteArray& line : file.readAll().split('\n')) {
        const qsizetype dash = line.indexOf('-');
        const qsizetype space = line.indexOf(' ');
        if (dash > 0 && space > dash && !line.endsWith("kB")) { // a mapping's header: "start-end perms ..."
            bool startOk = false, endOk = false;
            const quintptr start = line.left(dash).toULongLong(&startOk, 16);
            const quintptr end = line.mid(dash + 1, space - dash - 1).toULongLong(&endOk, 16);
            inside = startOk && endOk && start <= at && at < end;
        } else if (inside && line.startsWith("Rss:")) {
            return line.mid(4).simplified().split(' ').value(0).toLongLong();
        }
    }
    return 0;
}

} // namespace tl
