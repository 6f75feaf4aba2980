// The annotation header's table (include/threadlab/annotate.h): zones are LockEntry objects of kind Zone,
// recorded as LockAcquired(zone, 1) ... LockReleased(zone), a hold to the span builder (nested zones nest);
// marks are Mark events; counters are CounterEntry values ThreadLab samples.
#include "tracee.h"

#include <climits>
#include <threadlab/annotate.h>

namespace tl::tracee {
namespace {

void zoneBegin(const char* name)
{
    ThreadState& t = t_state;
    if (!g_active || t.inside || !name)
        return;
    Inside inside(t);
    Recorder* rec = recorder(t);
    if (!rec)
        return;
    const std::uint16_t id = zoneId(name);
    rec->record(EventKind::LockAcquired, 1, id);
    if (t.zoneDepth < sizeof t.zones / sizeof t.zones[0])
        t.zones[t.zoneDepth] = id;
    if (t.zoneDepth < UINT8_MAX)
        ++t.zoneDepth;
}

void zoneEnd()
{
    ThreadState& t = t_state;
    if (!g_active || t.inside || t.zoneDepth == 0)
        return;
    Inside inside(t);
    Recorder* rec = recorder(t);
    --t.zoneDepth;
    if (rec && t.zoneDepth < sizeof t.zones / sizeof t.zones[0])
        rec->record(EventKind::LockReleased, 0, t.zones[t.zoneDepth]);
}

void mark(long long value)
{
    ThreadState& t = t_state;
    if (!g_active || t.inside)
        return;
    Inside inside(t);
    if (Recorder* rec = recorder(t))
        rec->record(EventKind::Mark, std::int32_t(std::clamp<long long>(value, INT32_MIN, INT32_MAX)));
}

void counter(const char* name, long long value)
{
    ThreadState& t = t_state;
    if (!g_active || t.inside || !name)
        return;
    Inside inside(t);
    if (abi::CounterEntry* entry = counterEntry(name))
        entry->value.store(value, std::memory_order_relaxed);
}

void nameLockEntry(const void* lock, const char* name)
{
    ThreadState& t = t_state;
    if (!g_active || t.inside || !lock || !name)
        return;
    Inside inside(t);
    nameLock(lock, name);
}

} // namespace
} // namespace tl::tracee

extern "C" TL_EXPORT const threadlab_annotate_table threadlab_annotate_v1 = {
    sizeof(threadlab_annotate_table),
    tl::tracee::zoneBegin,
    tl::tracee::zoneEnd,
    tl::tracee::mark,
    tl::tracee::counter,
    tl::tracee::nameLockEntry,
};
