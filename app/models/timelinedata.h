#pragma once

#include <trace/spans.h>
#include <trace/trace.h>

#include <QString>
#include <array>
#include <vector>

namespace tl::ui {

// Time per lane state, then (from kInsideSlot on) time spent inside a hold or an unprotected section while in
// another state (Span::inside), for LockHeld, LockHeldContended, Unprotected and NoData (running, with the
// kernel's switch records lost) in that order.
inline constexpr std::size_t kInsideSlot = kLaneStateCount;
using StateTimes = std::array<std::int64_t, kLaneStateCount + 4>;
// The slot of StateTimes that counts time inside `inside`; none (kInsideSlot + 4) for Running.
std::size_t insideSlot(LaneState inside);
// The state an inside slot counts.
LaneState insideState(std::size_t slot);
void addSpanTime(StateTimes& t, const Span& s, std::int64_t duration);

// A counter's samples, as the collector's sampler took them.
struct CounterSeries {
    QString name;
    std::vector<std::pair<std::int64_t, std::int64_t>> points; // (time ns, value)
};
// Names `series` after `names` (growing it to their number) and appends each sample to its counter.
void appendCounterSamples(
    std::vector<CounterSeries>& series, const std::vector<QString>& names, const std::vector<CounterSample>& samples);

// What the timeline draws: one lane of state spans per worker, grouped by process. Built once from a
// finished Trace, or grown batch by batch while a run is live.
struct TimelineLane {
    TimelineLane() = default;
    TimelineLane(QString laneName, QString laneGroup, ChunkedVector<Span> laneSpans, std::vector<Gap> laneGaps = {},
        std::vector<LaneMark> laneMarks = {})
        : name(std::move(laneName))
        , group(std::move(laneGroup))
        , spans(std::move(laneSpans))
        , gaps(std::move(laneGaps))
        , marks(std::move(laneMarks))
    {
        updateIndex();
    }

    QString name;
    QString group;
    std::int64_t pid = -1; // of the process the group names
    ChunkedVector<Span> spans; // in pool chunks: appending never copies what is there
    std::vector<Gap> gaps; // where events were lost (drawn as NoData spans)
    std::vector<LaneMark> marks; // scenario marks and the process's end, in time order
    // Level-of-detail index, so a pixel column of thousands of spans costs a few cache lines, not all of them:
    // blocks[k] = time spent in each state by spans[0, k * kBlock); blockStarts[k] = spans[k * kBlock].start.
    static constexpr std::size_t kBlock = 16;
    ChunkedVector<StateTimes> blocks;
    ChunkedVector<std::int64_t> blockStarts;

    // The gap a NoData span at time t belongs to, or nullptr.
    const Gap* gapAt(std::int64_t t) const;

    // Extends the index over spans appended since (and forgets blocks past the end after spans were removed).
    void updateIndex();
    // Rebuilds the index from span `changed` on, after that span's state changed.
    void reindexFrom(std::size_t changed);
    // Time per state of spans[from, to).
    StateTimes stateTimes(std::size_t from, std::size_t to) const;
    // The first span at or after `from` that starts at or after t (spans.size() if none), galloping over the
    // block starts so the cost grows with log(distance), not with the distance.
    std::size_t firstStartingAtOrAfter(std::int64_t t, std::size_t from) const;
    // Time per state inside [t0, t1), spans cut at the edges.
    StateTimes stateTimesBetween(std::int64_t t0, std::int64_t t1) const;

private:
    StateTimes timesBefore(std::size_t index) const;
};

// The title lanes are grouped under: the worker's process and its PID.
QString processLabel(const WorkerInfo& info);

struct TimelineData {
    QString title;
    QString subtitle;
    std::vector<TimelineLane> lanes;
    std::vector<QString> lockNames;
    std::vector<Phase> phases; // the run's stages, drawn as labelled sections across the lanes
    std::vector<CounterSeries> counters; // drawn as tracks under the lanes in exported images
    // The range worth showing: the first and last worker event.
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
    // Time zero of every axis, tooltip and export: the run's start (Trace::startNs), as in the CSV and JSON.
    std::int64_t zeroNs = 0;

    static TimelineData fromTrace(const Trace& trace);
    // From spans already built (off the GUI thread): takes them over.
    static TimelineData fromSpans(const Trace& trace, std::vector<LaneSpans>&& spans);
    // States that occur anywhere in the data, for a legend that lists only those ("no data" also where a
    // lane carries the CPU-unknown strip).
    std::array<bool, kLaneStateCount> statesPresent() const;
    // Whether any span is inside a hold or an unprotected section while in another state (Span::inside).
    bool anyInside() const;
    std::size_t spanCount() const;
    // Marks holds others waited for as contended (markContendedHolds), keeping the lanes' indexes right.
    void markContendedHolds();
    // The same run seen from the CPUs: one group per CPU, in it a lane for each worker that ran there with
    // the spans it spent on that CPU (running or holding a lock; a span counts for the CPU it began on).
    // On one CPU the lanes take turns (concurrency); across CPUs they overlap (parallelism).
    TimelineData byCpu() const;
};

// A rectangle to draw for one lane, after level-of-detail merging.
struct LodRect {
    float x0;
    float x1;
    LaneState state;
    bool merged; // stands for several spans too narrow to draw one by one
    LaneState inside = LaneState::Running; // the hold drawn under `state` (Span::inside); Running if none
};

// Level of detail: spans at least `minPx` wide are drawn as they are; narrower ones that fall in the same
// `minPx` column are merged into one rect coloured by the state that took most of the column's time.
// Adjacent rects of the same state are joined, so the output never has more rects than the lane has columns.
// Cost per column is O(log spans-in-column + kBlock) with the lane's index, whatever the event count.
void lodRects(const TimelineLane& lane, std::int64_t t0, std::int64_t t1, double x0, double width, double minPx,
    std::vector<LodRect>& out);

} // namespace tl::ui
