#pragma once

#include "timelinepainter.h"

#include <models/timelinedata.h>
#include <session/run.h>

#include <QImage>
#include <QSize>
#include <QString>
#include <cstdint>
#include <optional>

class QIODevice;

namespace tl::ui {

enum class ImageFormat { Png, Svg, Pdf };

std::optional<ImageFormat> imageFormatFromSuffix(const QString& path);

// An exported image is a slide: 16:9 at 1920 x 1080 unless told otherwise, drawn at a scale that makes its
// text projector-sized (the smallest 17 px at 1920 wide), with the run's outcome as a headline.
struct ImageOptions {
    QSize size { 1920, 1080 };
    QString headline; // e.g. "36 541 of 500 000 updates were lost (7.3%)."; none when empty
    static constexpr QSize kMinSize { 640, 360 };
    static constexpr QSize kMaxSize { 7680, 4320 };
};
// "1920x1080" → the size, if it is WIDTHxHEIGHT within ImageOptions' limits.
std::optional<QSize> parseImageSize(const QString& text);
// A scenario's account (simple HTML) as plain text: tags and Qt's escapes gone, lines joined, numbers'
// narrow no-break spaces kept.
QString plainText(const QString& html);
// The first bold sentence of a scenario's account (describeOutcome), as plain text: the headline.
QString outcomeHeadline(const QString& accountHtml);
// A run's headline, for the command line and the window alike: why it failed, else outcomeHeadline(account).
QString runHeadline(const RunOutcome& outcome, const QString& accountHtml);

// Where an exported image of `data` over [t0, t1] (the whole run when not given) puts each part, in the
// image's pixels (its texts' fonts are the painter's, times exportScale()).
TimelinePainter::Layout exportLayout(const TimelineData& data, const ImageOptions& options = {});
TimelinePainter::Layout exportLayout(
    const TimelineData& data, std::int64_t t0, std::int64_t t1, const ImageOptions& options = {});
// How much larger than the painter's own pixels a slide of `size` is drawn.
double exportScale(const QSize& size);
// The time range a slide of [t0, t1] draws: t1 moved right where a process ended too near the edge for its
// exit label ("✕ killed by SIGKILL"), so every end is said in words, not cut to "✕ exi…".
std::int64_t slideEnd(const TimelineData& data, std::int64_t t0, std::int64_t t1, const ImageOptions& options = {});

// The timeline over [t0, t1] as a picture, with title, headline, legend, counters and axis (PNG, clipboard).
QImage renderTimeline(const TimelineData& data, std::int64_t t0, std::int64_t t1, const ImageOptions& options = {});

// Paints the timeline over [t0, t1] through TimelinePainter into an image of `options.size` pixels.
bool exportTimeline(const TimelineData& data, std::int64_t t0, std::int64_t t1, ImageFormat format, QIODevice& out,
    const ImageOptions& options = {});

// Same, to a file, written atomically: on failure no partial file is left. `error` says why it failed.
bool exportTimelineFile(const TimelineData& data, std::int64_t t0, std::int64_t t1, ImageFormat format,
    const QString& path, QString* error, const ImageOptions& options = {});

} // namespace tl::ui
