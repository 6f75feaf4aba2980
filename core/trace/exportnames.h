#pragma once

#include "spans.h"
#include "trace.h"

#include <QString>
#include <cstdint>
#include <vector>

// Shared by the exporters, so that every format names processes, lanes and locks alike.

namespace tl {

struct ExportProcess {
    std::int64_t pid;
    QString name; // "ThreadLab (pid 21198)", as the timeline groups lanes
};

struct ExportThread {
    std::int64_t pid; // the lane's real process: a child process is its own process
    // The OS thread id, as `--json`'s workers and the kernel's tools show it; where two lanes had one OS thread
    // (a pool's thread across phases) or the id is unknown, kLaneTidBase + lane, past any real id.
    std::int64_t tid;
    QString name; // the worker's name, as in the app
};

// Above pid_max's ceiling (2^22), so a lane's stand-in id never meets a real thread's.
inline constexpr std::int64_t kLaneTidBase = std::int64_t(1) << 22;

struct ExportIdentity {
    std::vector<ExportProcess> processes; // never empty; the first is the run's own process
    std::vector<ExportThread> threads; // threads[lane]
    std::int64_t mainPid() const { return processes.front().pid; }
};
ExportIdentity exportIdentity(const Trace& trace);

// The lock's name, empty for "no lock" (id 0) or an unknown id.
QString exportLockName(const Trace& trace, std::uint16_t lock);

// What a span is still inside while in its state (Span::inside), for people: "holding lock", "unprotected
// section", "CPU unknown" (the kernel's switch records were lost); empty when nothing.
QString insideName(LaneState inside);

// Events lost in a lane's NoData span. `cursor` walks the lane's gaps: call in span order.
std::uint64_t lostEventsIn(const LaneSpans& lane, const Span& noData, std::size_t& cursor);

} // namespace tl
