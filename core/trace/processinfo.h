#pragma once

#include <QJsonObject>
#include <QString>
#include <cstdint>

namespace tl {

// One process of a run, as the process table shows it and the JSON summary lists it.
struct ProcessInfo {
    // Gone: it ended, and its parent (not ThreadLab) collected how before ThreadLab could see it.
    enum class State { Starting, Running, Exited, Crashed, Stopped, FailedToStart, Gone };

    std::uint32_t worker = 0; // its lane on the timeline
    std::int64_t pid = 0;
    std::int64_t ppid = 0;
    QString name;
    QString params; // what it was given, as text
    State state = State::Starting;
    int exitCode = 0; // when Exited
    int signal = 0; // when Crashed or Stopped
    std::int64_t cpuNs = 0;
    QString start; // a child's start method, "fork" or "spawn" (empty for ThreadLab itself)
    std::int64_t startNs = -1; // from the fork or spawn to the child's first own instruction (-1: not yet)
    std::int64_t copiedBytes = -1; // input copied into it through a pipe (-1: not known)

    bool ended() const { return state != State::Starting && state != State::Running; }
    QString stateText() const; // "running", "exited with code 0", "crashed (SIGKILL)"
    QJsonObject toJson() const;
};

QString signalName(int signal); // 9 -> "SIGKILL"

} // namespace tl
