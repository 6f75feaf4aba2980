#pragma once

#include <models/timelinedata.h>

#include <QImage>
#include <QSize>
#include <QString>
#include <optional>

class QIODevice;

namespace tl::ui {

enum class ImageFormat { Png, Svg, Pdf };

std::optional<ImageFormat> imageFormatFromSuffix(const QString& path);

// The size exports use unless told otherwise: 1920 wide, tall enough for every lane (at most 1080).
QSize defaultExportSize(const TimelineData& data);

// The timeline over [t0, t1] as a picture of `size` pixels, with title, legend and axis (PNG, clipboard).
QImage renderTimeline(const TimelineData& data, std::int64_t t0, std::int64_t t1, QSize size);

// Paints the timeline over [t0, t1] through TimelinePainter into an image of `size` pixels.
bool exportTimeline(const TimelineData& data, std::int64_t t0, std::int64_t t1, ImageFormat format, QIODevice& out,
    QSize size = QSize(1920, 1080));

// Same, to a file, written atomically: on failure no partial file is left. `error` says why it failed.
bool exportTimelineFile(const TimelineData& data, std::int64_t t0, std::int64_t t1, ImageFormat format,
    const QString& path, QString* error, QSize size = QSize(1920, 1080));

} // namespace tl::ui
