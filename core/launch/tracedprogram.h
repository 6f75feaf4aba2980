#pragma once

#include "../trace/processinfo.h"

#include <QString>
#include <QStringList>
#include <atomic>
#include <cstdint>
#include <memory>

namespace tl {

class RunContext;

// What to trace: a program ThreadLab did not write, as a user would start it in a shell.
struct TraceRequest {
    QStringList command; // the program (a path, or a name looked up in PATH) and its arguments
    QString workingDirectory; // empty: ThreadLab's own
    QStringList environment; // KEY=VALUE, over ThreadLab's environment
};

// Whether `request`'s program can be started, as a shell would answer: exit code 127 (no such program) or
// 126 (not an executable file) with the reason, or 0 and the program's full path.
struct ProgramCheck {
    int exitCode = 0;
    QString reason;
    QString path;
};
ProgramCheck checkProgram(const TraceRequest& request);

// The tracee library ThreadLab preloads: THREADLAB_TRACEE, else beside the executable (the build tree's
// tracee/, an installation's libexec/threadlab/). Empty when none is found; `why` then says where it looked.
QString traceeLibraryPath(QString* why = nullptr);

// Runs a program and records it, as a run's source: every thread of the program and of every process it
// starts gets a lane. Two views of it, side by side:
// - the tracee library, preloaded, writes each thread's locks, waits, sleeps and names into a slot of a
//   shared arena (core/abi/arena.h), which the collector drains like a child process's ring;
// - the kernel, always: /proc lists the processes and threads (so a static binary, or one whose
//   environment lost LD_PRELOAD, still shows them, with a sentence saying why its locks are missing), and
//   every thread's context switches are followed as the scenarios' are.
// The program's standard input, output and error are ThreadLab's. run() returns once the program and every
// process it started have ended; a stop asks them to end (SIGTERM, then SIGKILL after kStopGraceMs).
class TracedProgram {
public:
    static constexpr int kStopGraceMs = 2000;

    explicit TracedProgram(TraceRequest request);
    ~TracedProgram();
    TracedProgram(const TracedProgram&) = delete;
    TracedProgram& operator=(const TracedProgram&) = delete;

    void run(RunContext& ctx);
    // Passes a signal to the program (a terminal's SIGINT, a SIGTERM to ThreadLab), from any thread.
    void signal(int signo);

    // Once run() has returned: how the program itself ended.
    const ProcessInfo& program() const { return m_program; }
    const TraceRequest& request() const { return m_request; }

private:
    class Session;
    TraceRequest m_request;
    std::atomic<std::int64_t> m_pid { 0 };
    std::atomic<int> m_pendingSignal { 0 }; // passed on before the pid was known
    ProcessInfo m_program;
};

} // namespace tl
