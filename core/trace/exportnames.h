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
    std::int64_t tid; // lane + 1: stable and unique even when a pool reuses OS threads
    QString name; // the worker's name, as in the app
};

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
