#pragma once

#include "event.h"
#include "trace.h"

#include <QString>
#include <cstdint>
#include <vector>

namespace tl {

// What a worker lane shows at a moment. The order is the drawing priority used when spans are merged.
enum class LaneState : std::uint8_t {
    Running,
    LockWait, // waiting for a lock (red)
    LockHeldContended, // holding a lock someone else waits for (yellow)
    LockHeld, // holding a lock nobody waits for (green)
    Sleeping,
    IoWait,
    Queued, // ready but not running: handed to a pool and not started yet, or waiting for a CPU
    Unprotected, // inside a critical section with no lock ("none"): overlapping ones are races
    NoData, // events were lost here (the ring was full): what the worker did is unknown
    Blocked, // off its CPU in the kernel (a page fault, a system call) while its own events say it runs
};
inline constexpr int kLaneStateCount = int(LaneState::Blocked) + 1;

QString laneStateName(LaneState state);
// States in which a worker is on a CPU by its own events (running, holding, in an unprotected section); where
// the kernel says it is not, SpanBuilder draws Queued or Blocked instead.
bool claimsCpu(LaneState state);

struct Span {
    std::int64_t start;
    std::int64_t end;
    std::uint16_t lock; // the lock waited for or held, 0 when none
    std::int16_t cpu; // the CPU when the span began; -1 when unknown or, by the kernel's word, off any CPU
    LaneState state;
    // What the worker is still inside meanwhile, when `state` is a wait, a sleep or time off its CPU: a
    // lock it holds (LockHeld, LockHeldContended) or an unprotected section (Unprotected); Running if none.
    // A deadlocked worker waits for one lock while it holds another; a preempted one may hold a lock.
    LaneState inside = LaneState::Running;
    std::uint16_t insideLock = 0;
};
static_assert(sizeof(Span) == 24);

// Where a lane has no data: from its last event before a loss to its first event after it.
struct Gap {
    std::int64_t start;
    std::int64_t end;
    std::uint64_t lost; // events the ring had no room for
    // Only the kernel's switch records were lost (kLostSwitchRecords): the worker's spans stand, drawn with no
    // CPU and a "no data" strip; the gap is hatched along that strip, not over the lane.
    bool cpuOnly = false;
};

// A moment worth a marker on the lane: a scenario's Mark (a task begins, a payload size) or the end of the
// lane's process (Exited).
struct LaneMark {
    std::int64_t time;
    std::int32_t value;
    EventKind kind;
};

// One lane's spans, its gaps (each also drawn as a NoData span) and its marks.
struct LaneSpans {
    ChunkedVector<Span> spans;
    std::vector<Gap> gaps;
    std::vector<LaneMark> marks;
};

// Turns one lane's events, fed in time order, into back-to-back state spans appended to `out`. A Lost event
// ends the span in progress at the worker's last own event before the loss and opens a NoData span up to
// the Lost event, noted in `gaps`: no span bridges lost events, and the kernel's switch records in between
// claim nothing (what the worker did there is unknown). So spans that only switch records ended are held
// back until the worker's next own event shows no loss came first. Used whole (spansForLane) or batch by
// batch while live.
class SpanBuilder {
public:
    SpanBuilder(std::vector<Span>& out, std::vector<Gap>& gaps, std::vector<LaneMark>& marks)
        : m_out(&out)
        , m_gaps(&gaps)
        , m_marks(&marks)
    {
    }
    // Redirects output, e.g. to the next batch's vectors.
    void retarget(std::vector<Span>& out, std::vector<Gap>& gaps, std::vector<LaneMark>& marks)
    {
        m_out = &out;
        m_gaps = &gaps;
        m_marks = &marks;
    }
    void add(const Event& e);
    // The span still in progress, as it stands at `now`; nothing if the worker has finished.
    bool openSpan(std::int64_t now, Span* span) const;
    void finish(std::int64_t endNs)
    {
        close(endNs);
        flushHeld();
    }

private:
    // Whether the thread has its CPU, as the kernel's context switches say (see ContextSwitches).
    enum class Cpu : std::uint8_t { On, Preempted, Blocked, Unknown };
    // Opens a span for what the lane shows now: the worker's own state, unless the kernel says the
    // thread is off its CPU while that state claims it runs.
    void show(std::int64_t t, std::int16_t eventCpu);
    // Back to what the worker does after a wait: inside its unprotected section, holding its innermost
    // lock, or plain running.
    void resume(std::int64_t t, std::int16_t eventCpu);
    void enter(std::int64_t t, LaneState next, std::uint16_t lock, std::int16_t cpu);
    void close(std::int64_t t);
    void forgetHolds();
    void flushHeld();

    std::vector<Span>* m_out;
    std::vector<Gap>* m_gaps;
    std::vector<LaneMark>* m_marks;
    std::int64_t m_lastOwn = INT64_MIN; // time of the worker's previous own event (not the kernel's)
    std::vector<Span> m_held; // spans ended after m_lastOwn by switch records: void if a loss follows
    bool m_active = false;
    Span m_open {}; // the span in progress, while m_active
    LaneState m_worker = LaneState::Running; // what the worker's own events say it does
    std::uint16_t m_workerLock = 0;
    std::vector<std::uint16_t> m_locks; // locks held, innermost last
    std::uint16_t m_unprotected = 0; // the "none" lock of the unprotected section the worker is in, or 0
    Cpu m_cpuState = Cpu::On;
    bool m_kernelSeen = false; // the kernel's switches follow this lane: CPUs come from them
    std::int16_t m_switchCpu = -1; // the CPU of the last SwitchIn
    std::int64_t m_cpuUnknownSince = 0; // while Cpu::Unknown: the last switch record before the loss
};

LaneSpans spansForLane(const ChunkedVector<Event>& events, std::int64_t endNs);

// All lanes, with lock holds split into contended / alone by looking at the other lanes' waits.
std::vector<LaneSpans> buildSpans(const Trace& trace);

// Marks every hold during which another worker waited for the same lock as LockHeldContended. Returns, per
// lane, the index of the first span it changed (SIZE_MAX: none), for indexes kept over the spans.
std::vector<std::size_t> markContendedHolds(const std::vector<ChunkedVector<Span>*>& lanes);
void markContendedHolds(std::vector<LaneSpans>& lanes);

} // namespace tl
