#pragma once

#include <QString>
#include <cstdint>
#include <optional>
#include <vector>

// Another program's processes and threads as the kernel lists them in /proc: what ThreadLab shows of a
// traced program even where its tracee library cannot reach (a static binary, a scrubbed environment).
namespace tl::proctree {

// The processes `pid` started that still exist (zombies included), from every thread's children list.
std::vector<std::int64_t> childrenOf(std::int64_t pid);
// The threads of process `pid`; empty once it is gone.
std::vector<std::int64_t> threadsOf(std::int64_t pid);
// A thread's name (comm), or the process's when tid is its pid; empty once it is gone.
QString threadName(std::int64_t pid, std::int64_t tid);
// The command line, arguments separated by spaces; empty for a zombie.
QString commandLine(std::int64_t pid);

struct Status {
    char state = '?'; // R, S, D, Z (ended, not yet reaped), ...
    std::int64_t ppid = 0;
    // The wait status a zombie leaves its parent (field 52, Linux 3.5+); -1 while it runs.
    int waitStatus = -1;
};
std::optional<Status> status(std::int64_t pid);

} // namespace tl::proctree
