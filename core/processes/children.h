#pragma once

#include "../params/parameter.h"
#include "../trace/processinfo.h"

#include <QByteArray>
#include <QJsonObject>
#include <QStringList>
#include <functional>
#include <memory>
#include <vector>

namespace tl {

class RunContext;
class ChildContext;
struct ChildBlock;
class SharedSegment;

// How a child process starts, as Python's multiprocessing start methods. Fork: fork() from the scenario's
// own thread; the child runs the scenario's runChild() in its copy of the parent's memory (copy-on-write:
// ChildSpec::input and every other object are inherited, not copied) and ends with _exit(). Spawn: a fresh
// `threadlab --child ...` (QProcess): the program starts anew and the input travels through a pipe.
enum class StartMethod { Fork, Spawn };
// What a forked child runs: the scenario's runChild(role, child).
using ChildMain = std::function<int(const QString& role, ChildContext& child)>;

// What a scenario asks for when it starts a child process.
struct ChildSpec {
    QString name; // "Child-1": its process on the timeline and its row in the process table
    QString role; // which part of the scenario's runChild() it plays
    QStringList args; // its command-line arguments after the role
    QByteArray input; // written to its standard input, which is then closed
    QString shownParams; // the parameters as the table shows them; the arguments when empty
    QStringList sharedKeys; // key()s (kernel ids) of segments and semaphores it opens (in its environment, not argv)
    // Descriptors it inherits: each parent descriptor (e.g. one end of a pipe) appears in the child under
    // the given number. All others stay closed on exec.
    std::vector<std::pair<int, int>> descriptors; // (parent fd, child fd)
};

// A scenario's child processes: real OS processes, each with its own lane, recorder (in a shared segment
// that only this user can attach) and process-table row. Spawned ones run the threadlab executable in its
// hidden child mode (`threadlab --child SCENARIO ROLE ARGS...`) and attach the segment by its kernel id;
// forked ones inherit it. Use from one thread, the scenario's: QProcess needs that thread's event loop, which
// waitForAll() runs, and fork() copies only the calling thread.
class Children {
public:
    // Adds ThreadLab's own lane, "MainProcess", for the scenario's parent side (run it with runAsWorker).
    // Fork needs `main`, which the child runs (see forkChild() in children.cpp for what it may do).
    Children(RunContext& ctx, QString scenario, StartMethod start = StartMethod::Spawn, ChildMain main = {});
    ~Children(); // kills and reaps any child still running
    Children(const Children&) = delete;
    Children& operator=(const Children&) = delete;

    // Starts a child and returns its index. Throws when it cannot start (the message says why).
    int start(const ChildSpec& spec);
    // Runs the event loop until every child has ended. Carries out kill requests; when the run is stopped,
    // terminates the children left. With `killOne`, kills the last-started child still running.
    void waitForAll(bool killOne = false);
    // Runs the event loop until `done` is true or every child has ended; false if it ended without `done`.
    bool waitUntil(const std::function<bool()>& done, bool killOne = false);

    // Ends every child still running as a stop does (SIGTERM, SIGKILL after a grace period; each is shown as
    // stopped), without stopping the run: for a scenario that failed while a server child still serves. The
    // ends are seen by the next wait or service().
    void stopAll();

    // Handles the children's events (an exit shows only then), carries out kill and stop requests and
    // refreshes the process table; for scenarios that keep the parent busy between waits (call it every few
    // tens of milliseconds).
    void service(bool killOne = false);

    std::uint32_t parentWorker() const { return m_parent.worker; }
    int count() const { return int(m_children.size()); }
    // Whether children [from, to) have all ended (exited, crashed, stopped or failed to start).
    bool ended(int from, int to) const;
    ProcessInfo info(int child) const;
    // The child's report: the JSON object it printed as its last line of standard output.
    QJsonObject report(int child) const;
    std::int64_t gauge(int child) const;
    // The kill_one parameter every scenario with children offers: kill one child mid-run with SIGKILL.
    static ParamSpec killOneParam();
    // The start parameter of the scenarios that offer both methods (fork by default, as Python on Linux).
    static ParamSpec startParam();
    static QString startName(StartMethod start);
    // The executable children run: $THREADLAB_CHILD_EXE when set (tests), else this program.
    static QString executable();

private:
    struct Child;
    void spawn(Child& child);
    void fork(Child& child);
    static void signalChild(Child& child, int signo);
    void update(Child& child);
    void poll(bool killOne);
    bool runEventLoop(bool killOne, const std::function<bool()>& done);

    RunContext& m_ctx;
    QString m_scenario;
    StartMethod m_start;
    ChildMain m_main;
    ProcessInfo m_parent;
    std::vector<std::unique_ptr<Child>> m_children;
    bool m_killedOne = false;
    bool m_stopping = false;
    std::int64_t m_stopDeadlineNs = 0;
    std::int64_t m_cpuSampledNs = 0;
};

} // namespace tl
