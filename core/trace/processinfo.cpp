#include "processinfo.h"

#include <csignal>
#include <cstring>

namespace tl {

QString signalName(int signal)
{
    const char* abbrev = sigabbrev_np(signal);
    return abbrev ? QStringLiteral("SIG") + QString::fromLatin1(abbrev) : QStringLiteral("signal %1").arg(signal);
}

QString ProcessInfo::stateText() const
{
    switch (state) {
    case State::Starting:
        return QStringLiteral("starting");
    case State::Running:
        return QStringLiteral("running");
    case State::Exited:
        return QStringLiteral("exited with code %1").arg(exitCode);
    case State::Crashed:
        return QStringLiteral("crashed (%1)").arg(signalName(signal));
    case State::Stopped:
        return QStringLiteral("stopped with the run (%1)").arg(signalName(signal));
    case State::FailedToStart:
        return QStringLiteral("failed to start");
    case State::Gone:
        return QStringLiteral("ended (its exit status went to its parent unseen)");
    }
    return {};
}

QJsonObject ProcessInfo::toJson() const
{
    QJsonObject o { { QStringLiteral("name"), name }, { QStringLiteral("pid"), qint64(pid) },
        { QStringLiteral("ppid"), qint64(ppid) }, { QStringLiteral("params"), params },
        { QStringLiteral("state"), stateText() }, { QStringLiteral("cpu_ms"), double(cpuNs) / 1e6 } };
    if (state == State::Exited)
        o.insert(QStringLiteral("exit_code"), exitCode);
    if (state == State::Crashed || state == State::Stopped)
        o.insert(QStringLiteral("signal"), signalName(signal));
    if (!start.isEmpty())
        o.insert(QStringLiteral("start"), start);
    if (startNs >= 0)
        o.insert(QStringLiteral("start_ms"), double(startNs) / 1e6);
    if (copiedBytes >= 0)
        o.insert(QStringLiteral("copied_bytes"), qint64(copiedBytes));
    return o;
}

} // namespace tl
