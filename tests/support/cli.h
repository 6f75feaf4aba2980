#pragma once

// The real executable, run as a script or a user would run it, for the end-to-end suites (tests/cli/).

#include <processes/ipcregistry.h>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStringList>
#include <QtGlobal>
#include <functional>

namespace tl::test {

struct CliResult {
    int code; // -1 when a signal ended it
    QByteArray out;
    QByteArray err;
};

// The environment of a headless run: no display at all, and Qt left to choose as it would for a user.
inline QProcessEnvironment headlessEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    return env;
}

// The executable under test: THREADLAB_EXE from the environment when set (an installed package, an older
// build to see a test fail), else the one this build made.
inline QString threadlabExe()
{
    return qEnvironmentVariable("THREADLAB_EXE", QStringLiteral(THREADLAB_EXE));
}

// Runs threadlabExe() to its end. `inChild` runs in the child between fork and exec (resource limits, signal
// mask, closed descriptors).
inline CliResult runThreadlab(const QStringList& args, const std::function<void()>& inChild = {},
    const QProcessEnvironment& env = headlessEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    if (inChild)
        p.setChildProcessModifier(inChild);
    p.start(threadlabExe(), args);
    if (!p.waitForFinished(240000))
        qFatal("threadlab did not finish");
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
        p.readAllStandardError() };
}

inline QByteArray contents(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// System V segments created by process `pid`: only the run's own, whatever else the machine holds.
inline int segmentsCreatedBy(qint64 pid)
{
    const QList<QByteArray> lines = contents(QStringLiteral("/proc/sysvipc/shm")).split('\n');
    int column = -1;
    int n = 0;
    for (const QByteArray& line : lines) {
        const QList<QByteArray> fields = line.simplified().split(' ');
        if (column < 0) {
            column = int(fields.indexOf("cpid"));
            continue;
        }
        if (fields.size() > column && fields[column].toLongLong() == pid)
            ++n;
    }
    return n;
}

// The children of process `pid`, from each of its threads' list.
inline QStringList childrenOf(qint64 pid)
{
    QStringList children;
    const QDir tasks(QStringLiteral("/proc/%1/task").arg(pid));
    for (const QString& task : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        children += QString::fromLatin1(contents(tasks.filePath(task) + QStringLiteral("/children")))
                        .split(u' ', Qt::SkipEmptyParts);
    return children;
}

// The ledgers in which process `pid` lists the IPC keys it made and has not removed yet, wherever it keeps
// them.
inline QStringList ledgersOf(qint64 pid)
{
    QStringList ledgers;
    for (const QString& dir : IpcRegistry::ledgerDirectories())
        for (const QString& name : QDir(dir).entryList({ QStringLiteral("%1-*.keys").arg(pid) }, QDir::Files))
            ledgers << dir + u'/' + name;
    return ledgers;
}

} // namespace tl::test
