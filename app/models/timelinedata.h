#pragma once

#include <trace/spans.h>
#include <trace/trace.h>

#include <QString>
#include <vector>

namespace tl::ui {

// What the timeline draws: one lane of state spans per worker, grouped by process. Built once from a
// finished Trace, or grown batch by batch while a run is live.
struct TimelineLane {
    QString name;
    QString group;
    std::vector<Span> spans;
};

struct TimelineData {
    QString title;
    QString subtitle;
    std::vector<TimelineLane> lanes;
    std::vector<QString> lockNames;
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;

    static TimelineData fromTrace(const Trace& trace);
    std::size_t spanCount() const;
};

// A rectangle to draw for one lane, after level-of-detail merging.
struct LodRect {
    float x0;
    float x1;
    LaneState state;
    bool merged; // stands for several spans too narrow to draw one by one
};

// Level of detail: spans at least `minPx` wide are drawn as they are; narrower ones that fall in the same
// `minPx` column are merged into one rect coloured by the state that took most of the column's time.
// Adjacent rects of the same state are joined, so the output never has more rects than the lane has columns.
void lodRects(const std::vector<Span>& spans, std::int64_t t0, std::int64_t t1, double x0, double width,
    double minPx, std::vector<LodRect>& out);

} // namespace tl::ui
