#pragma once

#include <QRectF>
#include <cstdint>

namespace tl::ui {

// The visible time range mapped onto a pixel range, with zoom and pan. Plain data, so it is tested directly.
struct TimelineGeometry {
    std::int64_t t0 = 0; // visible range, ns
    std::int64_t t1 = 1;
    double x0 = 0; // pixels the range maps onto
    double width = 1;

    double xForTime(std::int64_t t) const { return x0 + double(t - t0) * width / double(t1 - t0); }
    std::int64_t timeForX(double x) const { return t0 + std::int64_t((x - x0) * double(t1 - t0) / width); }
    std::int64_t span() const { return t1 - t0; }

    // factor > 1 zooms in; the time under pixel x stays under x.
    void zoomAround(double x, double factor, std::int64_t minSpanNs = 1000);
    void panByPixels(double dx);
    void fit(std::int64_t start, std::int64_t end);
    // Keeps the range inside [start, end] where it can.
    void clampTo(std::int64_t start, std::int64_t end);
};

} // namespace tl::ui
