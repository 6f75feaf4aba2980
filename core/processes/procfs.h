#pragma once

#include <QString>
#include <cstdint>

// What the kernel says about processes and threads, read from /proc (Linux; per-OS file procfs_linux.cpp).
namespace tl {

// The OS's view of one thread of this process ("running", "sleeping", ...), or "finished" once it is gone.
QString threadState(std::int64_t tid);
// User + system CPU time a process has used so far; 0 when it is gone.
std::int64_t processCpuNs(std::int64_t pid);
// When a process started (clock ticks since boot, as text); empty when it is gone. With the pid it names a
// process uniquely, as pids are reused.
QString processStartTime(std::int64_t pid);
// Whether the process `pid` that started at `startTime` still runs: a zombie (ended, not yet reaped by its
// parent) does not.
bool processRuns(std::int64_t pid, const QString& startTime);

// A process's memory (/proc/PID/smaps_rollup): resident, and proportional (shared pages divided among the
// processes that map them). Zeros when it is gone.
struct MemoryUse {
    std::int64_t rssKb = 0;
    std::int64_t pssKb = 0;
};
MemoryUse memoryUse(std::int64_t pid);
// Resident memory of the mapping of this process that contains `address` (/proc/self/smaps), e.g. a
// thread's stack; 0 when none does.
std::int64_t residentKbOfMapping(const void* address);

} // namespace tl
