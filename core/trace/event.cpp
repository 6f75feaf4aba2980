#include "event.h"

#include <cstring>

namespace tl {

std::string_view eventKindName(EventKind kind)
{
    switch (kind) {
    case EventKind::Enqueued:
        return "enqueued";
    case EventKind::Started:
        return "started";
    case EventKind::Running:
        return "running";
    case EventKind::LockWait:
        return "lock_wait";
    case EventKind::LockAcquired:
        return "lock_acquired";
    case EventKind::LockReleased:
        return "lock_released";
    case EventKind::Sleeping:
        return "sleeping";
    case EventKind::IoWait:
        return "io_wait";
    case EventKind::Finished:
        return "finished";
    case EventKind::Mark:
        return "mark";
    case EventKind::Lost:
        return "events_lost";
    case EventKind::Exited:
        return "exited";
    case EventKind::SwitchOut:
        return "switch_out";
    case EventKind::SwitchIn:
        return "switch_in";
    }
    return "unknown";
}

std::string exitText(std::int32_t value)
{
    if (value == kNeverStarted)
        return "failed to start";
    if (value == kExitUnseen)
        return "ended";
    if (value >= 0)
        return "exited with code " + std::to_string(value);
    const char* name = sigabbrev_np(-value);
    return "killed by " + (name ? "SIG" + std::string(name) : "signal " + std::to_string(-value));
}

} // namespace tl
