#include "timelinedata.h"

#include <algorithm>
#include <array>

namespace tl::ui {

TimelineData TimelineData::fromTrace(const Trace& trace)
{
    TimelineData data;
    data.title = trace.scenario;
    data.subtitle = trace.paramsText();
    data.lockNames = trace.lockNames;
    std::tie(data.startNs, data.endNs) = trace.activeRange();
    auto spans = buildSpans(trace);
    for (std::size_t i = 0; i < spans.size(); ++i) {
        const WorkerInfo info = i < trace.workers.size() ? trace.workers[i] : WorkerInfo {};
        const QString group = QStringLiteral("%1 (pid %2)").arg(info.group).arg(info.pid);
        data.lanes.push_back({ info.name, group, std::move(spans[i]) });
    }
    return data;
}

std::size_t TimelineData::spanCount() const
{
    std::size_t n = 0;
    for (const auto& lane : lanes)
        n += lane.spans.size();
    return n;
}

void lodRects(const std::vector<Span>& spans, std::int64_t t0, std::int64_t t1, double x0, double width,
    double minPx, std::vector<LodRect>& out)
{
    if (t1 <= t0 || width <= 0)
        return;
    const double pxPerNs = width / double(t1 - t0);
    auto px = [&](std::int64_t t) { return x0 + double(t - t0) * pxPerNs; };
    const double right = x0 + width;

    auto push = [&](float a, float b, LaneState s, bool merged) {
        if (!out.empty() && out.back().state == s && a - out.back().x1 <= 0.5f) {
            out.back().x1 = std::max(out.back().x1, b);
            out.back().merged |= merged;
            return;
        }
        out.push_back({ a, b, s, merged });
    };

    // The column being merged: its left edge, right edge reached so far, and time per state inside it.
    double colStart = -1;
    double colEnd = 0;
    std::array<double, kLaneStateCount> colTime {};
    int colSpans = 0;
    auto flush = [&] {
        if (colSpans == 0)
            return;
        const auto dominant = std::max_element(colTime.begin(), colTime.end()) - colTime.begin();
        push(float(colStart), float(std::max(colEnd, colStart + 1.0)), LaneState(dominant), colSpans > 1);
        colTime.fill(0);
        colSpans = 0;
    };

    auto it = std::upper_bound(spans.begin(), spans.end(), t0, [](std::int64_t t, const Span& s) { return t < s.end; });
    for (; it != spans.end() && it->start < t1; ++it) {
        const double a = std::max(px(it->start), x0);
        const double b = std::min(px(it->end), right);
        if (b - a >= minPx) {
            flush();
            push(float(a), float(b), it->state, false);
            continue;
        }
        if (colSpans > 0 && a >= colStart + minPx)
            flush();
        if (colSpans == 0) {
            colStart = std::floor(a);
            colEnd = b;
        }
        colEnd = std::max(colEnd, b);
        colTime[std::size_t(it->state)] += double(it->end - it->start);
        ++colSpans;
    }
    flush();
}

} // namespace tl::ui
