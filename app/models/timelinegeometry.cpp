#include "timelinegeometry.h"

#include <algorithm>

namespace tl::ui {

void TimelineGeometry::zoomAround(double x, double factor, std::int64_t minSpanNs)
{
    const std::int64_t anchor = timeForX(x);
    const double frac = (x - x0) / width;
    const auto newSpan = std::max<std::int64_t>(minSpanNs, std::int64_t(double(span()) / factor));
    t0 = anchor - std::int64_t(frac * double(newSpan));
    t1 = t0 + newSpan;
}

void TimelineGeometry::panByPixels(double dx)
{
    const auto dt = std::int64_t(dx * double(span()) / width);
    t0 -= dt;
    t1 -= dt;
}

void TimelineGeometry::fit(std::int64_t start, std::int64_t end)
{
    t0 = start;
    t1 = std::max(end, start + 1);
}

void TimelineGeometry::clampTo(std::int64_t start, std::int64_t end)
{
    const std::int64_t s = span();
    if (s >= end - start) {
        fit(start, end);
        return;
    }
    if (t0 < start) {
        t0 = start;
        t1 = start + s;
    } else if (t1 > end) {
        t1 = end;
        t0 = end - s;
    }
}

} // namespace tl::ui
