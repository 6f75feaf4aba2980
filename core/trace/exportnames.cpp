#include "exportnames.h"

#include <algorithm>
#include <map>

namespace tl {

ExportIdentity exportIdentity(const Trace& trace)
{
    ExportIdentity id;
    const std::int64_t mainPid = trace.workers.empty() ? 1 : trace.workers.front().pid;
    std::map<std::int64_t, int> lanesOfTid;
    for (const WorkerInfo& w : trace.workers)
        ++lanesOfTid[w.tid];
    for (std::size_t lane = 0; lane < std::max(trace.workers.size(), trace.lanes.size()); ++lane) {
        const WorkerInfo* info = lane < trace.workers.size() ? &trace.workers[lane] : nullptr;
        const std::int64_t pid = info && info->pid > 0 ? info->pid : mainPid;
        const bool ownTid = info && info->tid > 0 && lanesOfTid[info->tid] == 1;
        id.threads.push_back({ pid, ownTid ? info->tid : kLaneTidBase + std::int64_t(lane),
            info ? info->name : QStringLiteral("lane %1").arg(lane) });
        const bool known = std::any_of(
            id.processes.begin(), id.processes.end(), [pid](const ExportProcess& p) { return p.pid == pid; });
        if (!known && info)
            id.processes.push_back({ pid, QStringLiteral("%1 (pid %2)").arg(info->group).arg(pid) });
    }
    if (id.processes.empty())
        id.processes.push_back({ mainPid, QStringLiteral("ThreadLab: %1").arg(trace.scenario) });
    return id;
}

QString exportLockName(const Trace& trace, std::uint16_t lock)
{
    return lock != 0 && lock < trace.lockNames.size() ? trace.lockNames[lock] : QString();
}

QString insideName(LaneState inside)
{
    switch (inside) {
    case LaneState::Running:
        return {};
    case LaneState::NoData:
        return QStringLiteral("CPU unknown (no switch records from the kernel here)");
    case LaneState::LockHeldContended:
        return QStringLiteral("holding lock, others wait");
    default:
        return laneStateName(inside);
    }
}

std::uint64_t lostEventsIn(const LaneSpans& lane, const Span& noData, std::size_t& cursor)
{
    while (cursor < lane.gaps.size() && (lane.gaps[cursor].end < noData.end || lane.gaps[cursor].cpuOnly))
        ++cursor;
    return cursor < lane.gaps.size() ? lane.gaps[cursor].lost : 0;
}

} // namespace tl
