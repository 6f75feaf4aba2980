#include "timelinedata.h"

#include <algorithm>
#include <array>
#include <numeric>

namespace tl::ui {

std::size_t insideSlot(LaneState inside)
{
    switch (inside) {
    case LaneState::LockHeld:
        return kInsideSlot;
    case LaneState::LockHeldContended:
        return kInsideSlot + 1;
    case LaneState::Unprotected:
        return kInsideSlot + 2;
    case LaneState::NoData:
        return kInsideSlot + 3;
    default:
        return kInsideSlot + 4;
    }
}

LaneState insideState(std::size_t slot)
{
    constexpr LaneState kStates[]
        = { LaneState::LockHeld, LaneState::LockHeldContended, LaneState::Unprotected, LaneState::NoData };
    return kStates[slot - kInsideSlot];
}

void addSpanTime(StateTimes& t, const Span& s, std::int64_t duration)
{
    t[std::size_t(s.state)] += duration;
    if (const std::size_t slot = insideSlot(s.inside); slot < t.size())
        t[slot] += duration;
}

void appendCounterSamples(
    std::vector<CounterSeries>& series, const std::vector<QString>& names, const std::vector<CounterSample>& samples)
{
    series.resize(std::max(series.size(), names.size()));
    for (std::size_t c = 0; c < names.size(); ++c)
        series[c].name = names[c];
    for (const CounterSample& s : samples)
        if (s.counter < series.size())
            series[s.counter].points.emplace_back(s.time, s.value);
}

QString processLabel(const WorkerInfo& info)
{
    return QStringLiteral("%1 (pid %2)").arg(info.group).arg(info.pid);
}

TimelineData TimelineData::fromTrace(const Trace& trace)
{
    return fromSpans(trace, buildSpans(trace));
}

TimelineData TimelineData::fromSpans(const Trace& trace, std::vector<LaneSpans>&& spans)
{
    TimelineData data;
    data.title = trace.scenario;
    data.subtitle = trace.paramsText();
    data.lockNames = trace.lockNames;
    data.phases = trace.phases;
    std::tie(data.startNs, data.endNs) = trace.activeRange();
    data.zeroNs = trace.startNs;
    appendCounterSamples(data.counters, trace.counterNames, trace.counterSamples);
    for (std::size_t i = 0; i < spans.size(); ++i) {
        const WorkerInfo info = i < trace.workers.size() ? trace.workers[i] : WorkerInfo {};
        data.lanes.emplace_back(info.name, processLabel(info), std::move(spans[i].spans), std::move(spans[i].gaps),
            std::move(spans[i].marks));
        data.lanes.back().pid = info.pid;
    }
    return data;
}

std::array<bool, kLaneStateCount> TimelineData::statesPresent() const
{
    std::array<bool, kLaneStateCount> present {};
    for (const auto& lane : lanes) {
        const StateTimes t = lane.stateTimes(0, lane.spans.size());
        for (std::size_t s = 0; s < present.size(); ++s)
            present[s] = present[s] || t[s] > 0;
        // "No data" is also the hatched strip of a lane whose CPU is unknown (a child before the kernel's
        // first record of it, or where the kernel's records were lost).
        present[std::size_t(LaneState::NoData)]
            = present[std::size_t(LaneState::NoData)] || t[insideSlot(LaneState::NoData)] > 0;
    }
    return present;
}

bool TimelineData::anyInside() const
{
    return std::any_of(lanes.begin(), lanes.end(), [](const TimelineLane& lane) {
        const StateTimes t = lane.stateTimes(0, lane.spans.size());
        return std::any_of(t.begin() + kInsideSlot, t.end(), [](std::int64_t v) { return v > 0; });
    });
}

const Gap* TimelineLane::gapAt(std::int64_t t) const
{
    const auto it
        = std::upper_bound(gaps.begin(), gaps.end(), t, [](std::int64_t v, const Gap& g) { return v < g.end; });
    return it != gaps.end() && it->start <= t ? &*it : nullptr;
}

TimelineData TimelineData::byCpu() const
{
    auto onCpu = [](const Span& s) { return s.cpu >= 0 && claimsCpu(s.state); };
    int cpus = 0;
    for (const auto& lane : lanes)
        for (const Span& s : lane.spans)
            if (onCpu(s))
                cpus = std::max(cpus, s.cpu + 1);

    TimelineData view;
    view.title = title;
    view.subtitle = subtitle.isEmpty() ? QStringLiteral("lanes by CPU") : subtitle + QStringLiteral(" · lanes by CPU");
    view.lockNames = lockNames;
    view.counters = counters;
    view.phases = phases;
    view.startNs = startNs;
    view.zeroNs = zeroNs;
    view.endNs = endNs;
    for (int cpu = 0; cpu < cpus; ++cpu) {
        for (const auto& lane : lanes) {
            ChunkedVector<Span> there;
            for (const Span& s : lane.spans)
                if (onCpu(s) && s.cpu == cpu)
                    there.push_back(s);
            if (there.empty())
                continue;
            // A child process's lane is its main thread: its process names it better.
            const QString name
                = lane.name == u"MainThread" ? lane.group.section(QStringLiteral(" ("), 0, 0) : lane.name;
            view.lanes.emplace_back(name, QStringLiteral("CPU %1").arg(cpu), std::move(there));
        }
    }
    return view;
}

std::size_t TimelineData::spanCount() const
{
    std::size_t n = 0;
    for (const auto& lane : lanes)
        n += lane.spans.size();
    return n;
}

void TimelineLane::updateIndex()
{
    const std::size_t wanted = spans.size() / kBlock + 1;
    if (blocks.size() > wanted)
        blocks.resize(wanted);
    const std::size_t wantedStarts = (spans.size() + kBlock - 1) / kBlock;
    blockStarts.resize(std::min(blockStarts.size(), wantedStarts));
    while (blockStarts.size() < wantedStarts)
        blockStarts.push_back(spans[blockStarts.size() * kBlock].start);
    if (blocks.empty())
        blocks.push_back(StateTimes {});
    while (blocks.size() < wanted) {
        StateTimes next = blocks.back();
        const std::size_t first = (blocks.size() - 1) * kBlock;
        for (std::size_t i = first; i < first + kBlock; ++i)
            addSpanTime(next, spans[i], spans[i].end - spans[i].start);
        blocks.push_back(next);
    }
}

void TimelineLane::reindexFrom(std::size_t changed)
{
    // blocks[k] sums the spans before k * kBlock: those up to the changed span's block stand.
    blocks.resize(std::min(blocks.size(), changed / kBlock + 1));
    updateIndex();
}

void TimelineData::markContendedHolds()
{
    std::vector<ChunkedVector<Span>*> spans;
    for (TimelineLane& lane : lanes)
        spans.push_back(&lane.spans);
    const auto changed = tl::markContendedHolds(spans);
    for (std::size_t i = 0; i < lanes.size(); ++i)
        if (changed[i] != SIZE_MAX)
            lanes[i].reindexFrom(changed[i]);
}

StateTimes TimelineLane::timesBefore(std::size_t index) const
{
    const std::size_t block = std::min(index / kBlock, blocks.empty() ? 0 : blocks.size() - 1);
    StateTimes t = blocks.empty() ? StateTimes {} : blocks[block];
    for (std::size_t i = block * kBlock; i < index; ++i)
        addSpanTime(t, spans[i], spans[i].end - spans[i].start);
    return t;
}

std::size_t TimelineLane::firstStartingAtOrAfter(std::int64_t t, std::size_t from) const
{
    const std::size_t n = spans.size();
    if (from >= n)
        return n; // also an empty lane, whose index has no block start to gallop over
    auto scan = [&](std::size_t i, std::size_t end) {
        while (i < end && spans[i].start < t)
            ++i;
        return i;
    };
    if (blockStarts.size() * kBlock < n) // index not up to date: plain search
        return std::size_t(std::lower_bound(spans.begin() + std::ptrdiff_t(from), spans.end(), t,
                               [](const Span& s, std::int64_t v) { return s.start < v; })
            - spans.begin());
    // Gallop to the first block whose first span starts at or after t; the answer is in the block before.
    const std::size_t blocksN = blockStarts.size();
    std::size_t lo = from / kBlock + 1;
    std::size_t step = 1;
    while (lo < blocksN && blockStarts[lo] < t) {
        lo += step;
        step *= 2;
    }
    std::size_t hi = std::min(lo, blocksN);
    lo = hi >= step ? std::max(hi - step + 1, from / kBlock + 1) : from / kBlock + 1;
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (blockStarts[mid] >= t)
            hi = mid;
        else
            lo = mid + 1;
    }
    const std::size_t begin = std::max(from, (hi - 1) * kBlock);
    return scan(begin, std::min(hi * kBlock, n));
}

StateTimes TimelineLane::stateTimesBetween(std::int64_t t0, std::int64_t t1) const
{
    StateTimes t {};
    if (t1 <= t0)
        return t;
    // Whole spans inside come from the index; the (at most two) spans crossing an edge are clipped.
    const auto first = std::size_t(std::upper_bound(spans.begin(), spans.end(), t0, [](std::int64_t v, const Span& s) {
        return v < s.end;
    }) - spans.begin());
    const std::size_t last = firstStartingAtOrAfter(t1, first);
    if (first >= last)
        return t;
    auto clipped = [&](const Span& s) { return std::min(s.end, t1) - std::max(s.start, t0); };
    addSpanTime(t, spans[first], clipped(spans[first]));
    if (last - 1 > first) {
        const StateTimes inner = stateTimes(first + 1, last - 1);
        for (std::size_t i = 0; i < t.size(); ++i)
            t[i] += inner[i];
        addSpanTime(t, spans[last - 1], clipped(spans[last - 1]));
    }
    return t;
}

StateTimes TimelineLane::stateTimes(std::size_t from, std::size_t to) const
{
    if (to - from <= 2 * kBlock) {
        StateTimes t {};
        for (std::size_t i = from; i < to; ++i)
            addSpanTime(t, spans[i], spans[i].end - spans[i].start);
        return t;
    }
    StateTimes t = timesBefore(to);
    const StateTimes before = timesBefore(from);
    for (std::size_t s = 0; s < t.size(); ++s)
        t[s] -= before[s];
    return t;
}

void lodRects(const TimelineLane& lane, std::int64_t t0, std::int64_t t1, double x0, double width, double minPx,
    std::vector<LodRect>& out)
{
    const auto& spans = lane.spans;
    if (t1 <= t0 || width <= 0 || spans.empty())
        return;
    const double pxPerNs = width / double(t1 - t0);
    const double nsPerPx = double(t1 - t0) / width;
    auto px = [&](std::int64_t t) { return x0 + double(t - t0) * pxPerNs; };
    const double right = x0 + width;

    auto push = [&](float a, float b, LaneState s, bool merged, LaneState inside) {
        if (!out.empty() && out.back().state == s && out.back().inside == inside && a - out.back().x1 <= 0.5f) {
            out.back().x1 = std::max(out.back().x1, b);
            out.back().merged |= merged;
            return;
        }
        out.push_back({ a, b, s, merged, inside });
    };
    auto isWide = [&](const Span& s) { return std::min(px(s.end), right) - std::max(px(s.start), x0) >= minPx; };

    const std::size_t n = spans.size();
    std::size_t i = std::size_t(std::upper_bound(spans.begin(), spans.end(), t0, [](std::int64_t t, const Span& s) {
        return t < s.end;
    }) - spans.begin());
    while (i < n && spans[i].start < t1) {
        const Span& s = spans[i];
        if (isWide(s)) {
            push(float(std::max(px(s.start), x0)), float(std::min(px(s.end), right)), s.state, false, s.inside);
            ++i;
            continue;
        }
        // A column of narrow spans: every span starting before the column's right edge belongs to it.
        const double colStart = std::floor(std::max(px(s.start), x0));
        const auto colEndTime = t0 + std::int64_t((colStart + minPx - x0) * nsPerPx);
        std::size_t j = std::max(lane.firstStartingAtOrAfter(colEndTime, i + 1), i + 1);
        if (j - 1 > i && isWide(spans[j - 1]))
            --j; // a wide span starting inside the column is drawn on its own
        // Columns of similar density follow each other: fetch where the next one probably ends while this
        // one is summed (the walk is memory-latency bound, about four cache misses per column).
        if (const std::size_t guess = j + (j - i); guess < n) {
            __builtin_prefetch(&spans[guess]);
            if (const std::size_t block = guess / TimelineLane::kBlock; block < lane.blockStarts.size()) {
                __builtin_prefetch(&lane.blockStarts[block]);
                __builtin_prefetch(&lane.blocks[std::min(block, lane.blocks.size() - 1)]);
            }
        }
        const StateTimes times = lane.stateTimes(i, j);
        const auto stateEnd = times.begin() + kLaneStateCount;
        const auto dominant = std::max_element(times.begin(), stateEnd) - times.begin();
        // The hold under the column: the one the lane was inside for most of it, if at least half of it.
        const auto insideMost = std::max_element(stateEnd, times.end()) - times.begin();
        const std::int64_t columnTime = std::accumulate(times.begin(), stateEnd, std::int64_t(0));
        const LaneState inside = 2 * times[std::size_t(insideMost)] >= columnTime && times[std::size_t(insideMost)] > 0
            ? insideState(std::size_t(insideMost))
            : LaneState::Running;
        const double colEnd = std::min(std::max(px(spans[j - 1].end), colStart + 1.0), right);
        push(float(colStart), float(colEnd), LaneState(dominant), j - i > 1, inside);
        i = j;
    }
}

} // namespace tl::ui
