#include "proctree.h"

#include <QDir>
#include <QFile>

namespace tl::proctree {

namespace {
QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

std::vector<std::int64_t> numbers(const QStringList& names)
{
    std::vector<std::int64_t> out;
    for (const QString& n : names) {
        bool ok = false;
        const qint64 v = n.toLongLong(&ok);
        if (ok)
            out.push_back(v);
    }
    return out;
}
}

std::vector<std::int64_t> childrenOf(std::int64_t pid)
{
    std::vector<std::int64_t> out;
    for (const std::int64_t tid : threadsOf(pid))
        for (const QByteArray& n : readAll(QStringLiteral("/proc/%1/task/%2/children").arg(pid).arg(tid)).split(' ')) {
            bool ok = false;
            const qint64 child = n.trimmed().toLongLong(&ok);
            if (ok && std::find(out.begin(), out.end(), child) == out.end())
                out.push_back(child);
        }
    return out;
}

std::vector<std::int64_t> threadsOf(std::int64_t pid)
{
    return numbers(QDir(QStringLiteral("/proc/%1/task").arg(pid)).entryList(QDir::Dirs | QDir::NoDotAndDotDot));
}

QString threadName(std::int64_t pid, std::int64_t tid)
{
    return QString::fromLocal8Bit(readAll(QStringLiteral("/proc/%1/task/%2/comm").arg(pid).arg(tid))).trimmed();
}

QString commandLine(std::int64_t pid)
{
    QByteArray line = readAll(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (line.endsWith('\0'))
        line.chop(1);
    return QString::fromLocal8Bit(line.replace('\0', ' '));
}

std::optional<Status> status(std::int64_t pid)
{
    const QByteArray line = readAll(QStringLiteral("/proc/%1/stat").arg(pid));
    // comm may hold spaces and parentheses: the fields start after the last ')'.
    const auto close = line.lastIndexOf(')');
    if (close < 0)
        return std::nullopt;
    const QList<QByteArray> fields = line.mid(close + 2).trimmed().split(' ');
    if (fields.size() < 2 || fields[0].isEmpty())
        return std::nullopt;
    Status s;
    s.state = fields[0].at(0);
    s.ppid = fields[1].toLongLong();
    constexpr qsizetype kExitCode = 52 - 3; // field 52, counted from the state (field 3)
    if (s.state == 'Z' && fields.size() > kExitCode)
        s.waitStatus = fields[kExitCode].toInt();
    return s;
}

} // namespace tl::proctree
