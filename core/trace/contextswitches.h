#pragma once

#include "event.h"

#include <QString>
#include <cstdint>
#include <memory>
#include <sys/types.h>
#include <vector>

namespace tl {

// When a thread got and lost its CPU, as the kernel saw it: the context-switch records of a perf event
// (PERF_RECORD_SWITCH) opened on that thread. They need no privilege for the user's own threads and
// children (unlike the sched_switch tracepoint), cost the workers nothing, and say whether a thread that
// lost its CPU was preempted (still runnable: it waits for a CPU) or blocked in the kernel. Times come
// from CLOCK_MONOTONIC, the clock every other event is stored in.
//
// The records are read as Events: SwitchOut (value 1 when preempted, 0 when blocked, kThreadExited at the
// thread's exit) and SwitchIn, with the CPU. Records the kernel had no room for come back as a Lost event
// before the next record.
class ContextSwitches {
public:
    // Follows thread `tid` (0: the calling thread; a process id follows that process's main thread).
    // Null when the kernel refuses (e.g. perf_event_open filtered in a container); `why` then says so.
    static std::unique_ptr<ContextSwitches> follow(pid_t tid, QString* why = nullptr);
    ~ContextSwitches();
    ContextSwitches(const ContextSwitches&) = delete;
    ContextSwitches& operator=(const ContextSwitches&) = delete;

    // Appends the records written since the previous call, in time order. One reader at a time.
    void read(std::vector<Event>& out);
    std::uint64_t lost() const { return m_lost; }
    // No more records from now on (the records already written can still be read). For a lane whose thread
    // is replaced: the old thread's later switches (its exit, say) are not the new thread's.
    void stop();

    // True on a thread that follow(0) succeeded on: probes that estimate the same thing can stand down.
    static bool followsCallingThread();

private:
    ContextSwitches(int fd, void* ring, std::size_t dataBytes, pid_t tid);

    int m_fd;
    pid_t m_tid; // the thread followed
    void* m_ring; // perf_event_mmap_page, then the data area
    std::size_t m_dataBytes;
    std::uint64_t m_lost = 0;
    std::uint64_t m_pendingLost = 0; // lost records not yet reported as a Lost event
    std::int64_t m_lastTime = INT64_MIN; // of the last switch record read
    bool m_mayStopSent = false; // a kSwitchRecordsMayStop follows the last switch record read
};

// The name `scheduler_source` gives this source.
inline constexpr const char* kContextSwitchSource = "perf context switches";

} // namespace tl
