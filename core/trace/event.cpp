#include "event.h"

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
    }
    return "unknown";
}

} // namespace tl
