#include "timelinepainter.h"

#include <params/format.h>

#include <QFontMetricsF>
#include <QImage>
#include <QPaintEngine>
#include <QPainter>
#include <QPen>
#include <QPolygonF>
#include <QRegularExpression>
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>

namespace tl::ui {

namespace {
constexpr double kHeaderHeight = 58;
constexpr double kLegendHeight = 26;
constexpr double kAxisHeight = 30;
constexpr double kLabelWidth = 160;
constexpr double kGroupHeight = 20;
constexpr double kMaxLaneHeight = 30;
constexpr double kMinLaneHeight = 3;
constexpr double kPhaseHeight = 22;
constexpr double kHeadlineHeight = 26;
constexpr double kSlideMaxLaneHeight = 90;
constexpr double kCounterHeight = 34;
constexpr std::size_t kMaxCounterTracks = 3;

QFont font(double px, bool bold = false)
{
    // The CSS generic family: SVG viewers read the name literally, and "Sans Serif" (Qt's default name)
    // is no CSS family, so browsers fell back to a serif font. Fontconfig maps it to the same face on screen.
    QFont f(QStringLiteral("sans-serif"));
    f.setPixelSize(int(px));
    f.setBold(bold);
    return f;
}

QFont legendFont()
{
    return font(12);
}

// Tick spacing of 1, 2 or 5 × 10^k ns, so that ticks are at least minPx apart.
double niceStep(double nsPerPx, double minPx)
{
    const double raw = nsPerPx * minPx;
    const double mag = std::pow(10.0, std::floor(std::log10(std::max(raw, 1.0))));
    for (const double m : { 1.0, 2.0, 5.0, 10.0 })
        if (m * mag >= raw)
            return m * mag;
    return 10 * mag;
}
}

QColor stateColor(LaneState state)
{
    switch (state) {
    case LaneState::Running:
        return QColor(0x4e, 0x79, 0xa7);
    case LaneState::LockWait:
        return QColor(0xe1, 0x44, 0x44);
    case LaneState::LockHeldContended:
        return QColor(0xf2, 0xbe, 0x2c);
    case LaneState::LockHeld:
        return QColor(0x4c, 0xa8, 0x4f);
    case LaneState::Sleeping:
        return QColor(0xb8, 0xbc, 0xc2);
    case LaneState::IoWait:
        return QColor(0x86, 0x8b, 0x93);
    case LaneState::Queued:
        return QColor(0xc3, 0xa6, 0xd9);
    case LaneState::Unprotected:
        return QColor(0xf2, 0x8e, 0x2b);
    case LaneState::NoData:
        return QColor(0x3c, 0x3f, 0x44); // under the hatch (hatchBrush) that marks gaps
    case LaneState::Blocked:
        return QColor(0x6b, 0x5b, 0x95);
    }
    return Qt::black;
}

QBrush hatchBrush(const QColor& ink)
{
    QColor c = ink;
    c.setAlpha(170);
    return QBrush(c, Qt::BDiagPattern);
}

TimelinePainter::Theme TimelinePainter::Theme::light()
{
    // faint: 5.9:1 on the background, so axis labels stay legible on a projector.
    return { QColor(0xff, 0xff, 0xff), QColor(0x20, 0x24, 0x2a), QColor(0x5f, 0x66, 0x70), QColor(0xf3, 0xf4, 0xf6),
        QColor(0xe2, 0xe4, 0xe8) };
}

TimelinePainter::Theme TimelinePainter::Theme::dark()
{
    return { QColor(0x1e, 0x20, 0x24), QColor(0xe6, 0xe8, 0xeb), QColor(0x9a, 0xa0, 0xa8), QColor(0x26, 0x29, 0x2e),
        QColor(0x33, 0x37, 0x3d) };
}

QFont TimelinePainter::headlineFont()
{
    return font(16, true);
}

QFont TimelinePainter::phaseFont()
{
    return font(11, true);
}

QFont TimelinePainter::exitFont(double laneHeight)
{
    return font(std::clamp(laneHeight * 0.5, 8.0, 11.0), true);
}

QFont TimelinePainter::counterFont()
{
    return font(12, true);
}

QFont TimelinePainter::footnoteFont()
{
    return font(11);
}

QFont TimelinePainter::groupFont()
{
    return font(12, true);
}

namespace {
constexpr double kHeadlineLine = 21; // each further line of a wrapped headline
constexpr int kMaxHeadlineLines = 3;
constexpr int kMaxPhaseRows = 3; // the cells' row and two rows of names above it
constexpr double kFootnoteLine = 16;
constexpr double kMinExitLane = 10; // an exit label's smallest font (8 px) and a pixel above and below

// `text` broken at spaces into lines no wider than `width` (a word wider than a line is broken where it
// must); at most `maxLines`, with `*whole` false when text was left over. Numbers' narrow no-break spaces
// are no break points.
QStringList wrapWords(const QString& text, const QFontMetricsF& fm, double width, int maxLines, bool* whole)
{
    QStringList lines;
    QString line;
    *whole = false;
    auto flush = [&](const QString& full) {
        lines << full;
        return lines.size() < maxLines;
    };
    // A number's groups stay together where the account wrote a plain space between them ("16 384 KiB").
    static const QRegularExpression group(QStringLiteral("^\\d{3}(?!\\d)"));
    QStringList words;
    for (const QString& word : text.split(u' ', Qt::SkipEmptyParts)) {
        if (!words.isEmpty() && words.back().back().isDigit() && group.match(word).hasMatch())
            words.back() += u' ' + word;
        else
            words << word;
    }
    for (QString word : words) {
        const QString joined = line.isEmpty() ? word : line + u' ' + word;
        if (fm.horizontalAdvance(joined) <= width) {
            line = joined;
            continue;
        }
        if (!line.isEmpty() && !flush(line))
            return lines;
        while (word.size() > 1 && fm.horizontalAdvance(word) > width) {
            qsizetype n = word.size() - 1;
            while (n > 1 && fm.horizontalAdvance(word.left(n)) > width)
                --n;
            if (!flush(word.left(n)))
                return lines;
            word = word.mid(n);
        }
        line = word;
    }
    if (!line.isEmpty()) {
        if (lines.size() >= maxLines)
            return lines;
        lines << line;
    }
    *whole = true;
    return lines;
}

// The range a layout is for: the whole run unless the options name one.
std::pair<std::int64_t, std::int64_t> layoutRange(const TimelineData& data, const TimelinePainter::Options& options)
{
    if (options.t0 != 0 || options.t1 != 0)
        return { options.t0, std::max(options.t1, options.t0 + 1) };
    return { data.startNs, std::max(data.endNs, data.startNs + 1) };
}

double placeHeader(TimelinePainter::Layout& l, const QRectF& area, const TimelinePainter::Options& options)
{
    if (!options.header)
        return area.top();
    bool whole = true;
    if (!options.headline.isEmpty())
        l.headlineLines = wrapWords(options.headline, QFontMetricsF(TimelinePainter::headlineFont()), area.width() - 24,
            kMaxHeadlineLines, &whole);
    if (!whole)
        l.footnotes << QStringLiteral("The headline is cut short here at a word's end; the run's account has it "
                                      "whole.");
    const auto lines = double(l.headlineLines.size());
    const double height = kHeaderHeight + (lines > 0 ? kHeadlineHeight + (lines - 1) * kHeadlineLine : 0);
    l.header = QRectF(area.left(), area.top(), area.width(), height);
    return l.header.bottom();
}

// Legend: the states that occur, "no data" where events were lost, and the strip of holds kept meanwhile;
// entries that do not fit the width go on to the next row.
double placeLegend(TimelinePainter::Layout& l, const TimelineData& data, const QRectF& area, double y)
{
    const auto present = data.statesPresent();
    const bool anyGap
        = std::any_of(data.lanes.begin(), data.lanes.end(), [](const auto& lane) { return !lane.gaps.empty(); });
    for (int s = 0; s < kLaneStateCount; ++s) {
        const auto state = LaneState(s);
        if (present[std::size_t(s)] || (state == LaneState::NoData && anyGap))
            l.legendEntries.push_back({ state, false, laneStateName(state), {} });
    }
    if (data.anyInside())
        l.legendEntries.push_back(
            { LaneState::LockWait, true, QStringLiteral("strip: lock still held / section still open"), {} });
    const QFontMetricsF fm(legendFont());
    double lx = area.left() + 12;
    double rowTop = y;
    for (TimelinePainter::LegendEntry& e : l.legendEntries) {
        const double width = 12 + 5 + fm.horizontalAdvance(e.name);
        if (lx > area.left() + 12 && lx + width > area.right()) {
            lx = area.left() + 12;
            rowTop += kLegendHeight;
        }
        e.swatch = QRectF(lx, rowTop + kLegendHeight / 2 - 6, 12, 12);
        lx += width + 18;
    }
    l.legend = QRectF(area.left(), y, area.width(), rowTop + kLegendHeight - y);
    return l.legend.bottom();
}

// A phase's name up to its last " · " (sweep's "threads ×2 · 1/3" → "threads ×2"), empty when it has none.
QString phasePrefix(const QString& label)
{
    const qsizetype at = label.lastIndexOf(QStringLiteral(" · "));
    return at > 0 ? label.left(at) : QString();
}

// Places phase names on a slide: in a cell where one fits, else centred over the cell in the first row above
// where it meets no other name.
class PhasePlacer {
public:
    PhasePlacer(double left, double width)
        : fm(TimelinePainter::phaseFont())
        , left(left)
        , width(width)
    {
        rowEnd.fill(-1e9);
    }
    double textWidth(const QString& text) const { return std::ceil(fm.horizontalAdvance(text)) + 8; }
    bool inCell(const QString& text, double a, double b)
    {
        if (textWidth(text) > b - a)
            return false;
        placed.push_back({ 0, { text, QRectF(a + 4, 0, b - a - 8, 0), (a + b) / 2 } });
        return true;
    }
    bool above(const QString& text, double a, double b)
    {
        const double w = textWidth(text);
        const double x = std::clamp((a + b) / 2 - w / 2, left, left + width - w);
        for (int r = 1; r < kMaxPhaseRows; ++r)
            if (x >= rowEnd[std::size_t(r)] + 6) {
                rowEnd[std::size_t(r)] = x + w;
                placed.push_back({ r, { text, QRectF(x + 4, 0, w - 8, 0), (a + b) / 2 } });
                rows = std::max(rows, r + 1);
                return true;
            }
        return false;
    }

    const QFontMetricsF fm;
    const double left;
    const double width;
    std::array<double, kMaxPhaseRows> rowEnd {};
    std::vector<std::pair<int, TimelinePainter::PlacedText>> placed;
    int rows = 1;
};

// The phases' strip. On a slide each name is whole: in its cell, else above it (PhasePlacer). A run of phases
// named "X · 1/3", "X · 2/3"… whose names do not all fit is named once, "X" over the run, and each cell
// "1/3"… (or the run at once, "X · 1/3–3/3", where those do not fit); a phase whose name finds no place is counted in a
// footnote. The window has one row, and names cut to their cells (hovering tells the rest).
double placePhases(TimelinePainter::Layout& l, const TimelineData& data, const QRectF& area, double y,
    const TimelinePainter::Options& options)
{
    if (data.phases.empty())
        return y;
    const double left = area.left() + kLabelWidth;
    const double width = area.width() - kLabelWidth;
    if (!options.slide) {
        l.phases = QRectF(left, y, width, kPhaseHeight);
        return l.phases.bottom();
    }
    const auto [t0, t1] = layoutRange(data, options);
    const double nsPerPx = double(t1 - t0) / width;
    struct Cell {
        QString label;
        double a;
        double b;
    };
    std::vector<Cell> cells;
    for (const Phase& phase : data.phases) {
        const std::int64_t end = phase.end == INT64_MAX ? data.endNs : phase.end;
        if (end >= t0 && phase.start <= t1)
            cells.push_back({ phase.label, std::max(left + double(phase.start - t0) / nsPerPx, left),
                std::min(left + double(end - t0) / nsPerPx, left + width) });
    }
    PhasePlacer placer(left, width);
    std::size_t said = 0;
    for (std::size_t i = 0; i < cells.size();) {
        const QString prefix = phasePrefix(cells[i].label);
        std::size_t j = i + 1;
        while (!prefix.isEmpty() && j < cells.size() && phasePrefix(cells[j].label) == prefix)
            ++j;
        const bool allFit = std::all_of(cells.begin() + std::ptrdiff_t(i), cells.begin() + std::ptrdiff_t(j),
            [&](const Cell& c) { return placer.textWidth(c.label) <= c.b - c.a; });
        if (j - i > 1 && !allFit) {
            // "X" above the cells (their row is the members'), "1/3"… in them; where those do not all fit,
            // the run is said at once: "X · 1/3–3/3".
            const auto suffix = [&](std::size_t k) { return cells[k].label.mid(prefix.size() + 3); };
            bool suffixesFit = true;
            for (std::size_t k = i; k < j; ++k)
                suffixesFit = suffixesFit && placer.textWidth(suffix(k)) <= cells[k].b - cells[k].a;
            const double a = cells[i].a, b = cells[j - 1].b;
            if (suffixesFit && placer.above(prefix, a, b)) {
                for (std::size_t k = i; k < j; ++k)
                    said += placer.inCell(suffix(k), cells[k].a, cells[k].b);
            } else if (const QString range = QStringLiteral("%1 · %2–%3").arg(prefix, suffix(i), suffix(j - 1));
                       placer.inCell(range, a, b) || placer.above(range, a, b)) {
                said += j - i;
            }
        } else {
            for (std::size_t k = i; k < j; ++k)
                said += placer.inCell(cells[k].label, cells[k].a, cells[k].b)
                    || placer.above(cells[k].label, cells[k].a, cells[k].b);
        }
        i = j;
    }
    l.phases = QRectF(left, y, width, placer.rows * kPhaseHeight);
    for (auto& [row, text] : placer.placed) {
        text.rect.setTop(l.phases.bottom() - (row + 1) * kPhaseHeight + 1);
        text.rect.setHeight(kPhaseHeight - 2);
        l.phaseLabels.push_back(text);
    }
    if (said < cells.size())
        l.footnotes << QStringLiteral("%1 of %2 phase names do not fit at this size: the window's timeline names "
                                      "each phase.")
                           .arg(cells.size() - said)
                           .arg(cells.size());
    return l.phases.bottom();
}

// Axis, counter tracks, footnotes, plot and lanes, under `y`.
void placeLanes(TimelinePainter::Layout& l, const TimelineData& data, const QRectF& area, double y,
    const TimelinePainter::Options& options)
{
    const double footHeight = options.slide ? double(l.footnotes.size()) * kFootnoteLine : 0;
    l.footnote = footHeight > 0 ? QRectF(area.left() + 12, area.bottom() - footHeight, area.width() - 24, footHeight)
                                : QRectF();
    l.axis = QRectF(
        area.left() + kLabelWidth, area.bottom() - footHeight - kAxisHeight, area.width() - kLabelWidth, kAxisHeight);
    double bottom = l.axis.top();
    l.counters.clear();
    if (options.slide) {
        std::size_t tracks = 0;
        for (const auto& counter : data.counters)
            tracks += !counter.points.empty() && tracks < kMaxCounterTracks;
        bottom -= double(tracks) * kCounterHeight;
        for (std::size_t i = 0; i < tracks; ++i)
            l.counters.emplace_back(l.axis.left(), bottom + double(i) * kCounterHeight, l.axis.width(), kCounterHeight);
    }

    int groups = 0;
    for (std::size_t i = 0; i < data.lanes.size(); ++i)
        if (i == 0 || data.lanes[i].group != data.lanes[i - 1].group)
            ++groups;
    const double available = bottom - y - groups * kGroupHeight;
    const auto laneCount = double(std::max<std::size_t>(data.lanes.size(), 1));
    l.laneHeight = std::clamp(
        std::floor(available / laneCount), kMinLaneHeight, options.slide ? kSlideMaxLaneHeight : kMaxLaneHeight);

    l.plot = QRectF(area.left() + kLabelWidth, y, area.width() - kLabelWidth, bottom - y);
    l.labels = QRectF(area.left(), y, kLabelWidth, l.plot.height());
    l.groups.clear();
    l.lanes.clear();
    for (std::size_t i = 0; i < data.lanes.size(); ++i) {
        if (i == 0 || data.lanes[i].group != data.lanes[i - 1].group) {
            l.groups.emplace_back(data.lanes[i].group, y);
            y += kGroupHeight;
        }
        l.lanes.emplace_back(l.plot.left(), y, l.plot.width(), l.laneHeight);
        y += l.laneHeight;
    }
}

// Each end of a process in range, said in words beside its bar: right of it where the lane is empty, else left
// of it (over the process's last spans, on a box of the background) rather than cut at the plot's edge.
// Returns how many ends have no label (lanes too thin, or no room either side).
int placeExits(TimelinePainter::Layout& l, const TimelineData& data, std::int64_t t0, std::int64_t t1)
{
    l.exitLabels.clear();
    const QFontMetricsF fm(TimelinePainter::exitFont(l.laneHeight));
    const double nsPerPx = double(t1 - t0) / l.plot.width();
    int unlabelled = 0;
    for (std::size_t i = 0; i < l.lanes.size(); ++i) {
        const auto& marks = data.lanes[i].marks;
        auto it = std::lower_bound(
            marks.begin(), marks.end(), t0, [](const LaneMark& m, std::int64_t t) { return m.time < t; });
        for (; it != marks.end() && it->time <= t1; ++it) {
            if (it->kind != EventKind::Exited)
                continue;
            const QString text = QStringLiteral("✕ ") + QString::fromStdString(exitText(it->value));
            const double x = l.plot.left() + double(it->time - t0) / nsPerPx;
            const double w = std::ceil(fm.horizontalAdvance(text)) + 1;
            const QRectF band = l.lanes[i];
            // Right of the bar where it fits, else left of it; neither (or a lane too thin): unlabelled.
            const bool right = x + 4 + w <= l.plot.right();
            if (l.laneHeight >= kMinExitLane && (right || x - 4 - w >= l.plot.left()))
                l.exitLabels.push_back({ text, QRectF(right ? x + 4 : x - 4 - w, band.top(), w, band.height()), x });
            else
                ++unlabelled;
        }
    }
    return unlabelled;
}

// A counter track's step line over [t0, t1], scaled from 0 to the largest value shown, and the last value.
struct CounterLine {
    QPolygonF line;
    std::int64_t last = 0;
};

CounterLine counterLine(const CounterSeries& counter, const QRectF& box, const QRectF& plot, const TimelineData& data,
    std::int64_t t0, std::int64_t t1)
{
    const double nsPerPx = double(t1 - t0) / plot.width();
    const auto& pts = counter.points;
    const auto sampledAfter = [](std::int64_t t, const auto& pt) { return t < pt.first; };
    auto first = std::upper_bound(pts.begin(), pts.end(), t0, sampledAfter);
    if (first != pts.begin())
        --first; // the value in force at t0
    // Shown to its end, a run's counters end at their final values (sampled once the workers were done).
    const auto last = t1 >= data.endNs ? pts.end() : std::upper_bound(first, pts.end(), t1, sampledAfter);
    std::int64_t most = 0;
    for (auto it = first; it != last; ++it)
        most = std::max(most, it->second);
    const QRectF plotBox = box.adjusted(0, 5, 0, -5);
    auto yOf = [&](std::int64_t v) {
        return plotBox.bottom() - (most > 0 ? double(v) / double(most) * plotBox.height() : 0.0);
    };
    CounterLine result;
    QPolygonF& line = result.line;
    for (auto it = first; it != last; ++it) {
        const double x = std::clamp(plot.left() + double(it->first - t0) / nsPerPx, plot.left(), plot.right());
        if (!line.isEmpty())
            line << QPointF(x, line.back().y()); // a counter holds its value until the next sample
        line << QPointF(x, yOf(it->second));
    }
    // The last value holds to the end of the range (even a single sample's), but not past the run's end (a
    // slide's range can go on, to leave room for an exit's label).
    if (!line.isEmpty())
        line << QPointF(std::max(line.back().x(),
                            std::min(plot.right(), plot.left() + double(std::min(t1, data.endNs) - t0) / nsPerPx)),
            line.back().y());
    result.last = first != last ? std::prev(last)->second : 0;
    return result;
}

// Each counter track's last value, beside its line and never on it: right of the line's end where the line
// stops short of the edge, else above or below the line where it ends, else in the label column.
void placeCounterValues(TimelinePainter::Layout& l, const TimelineData& data, std::int64_t t0, std::int64_t t1)
{
    const QFontMetricsF fm(TimelinePainter::counterFont());
    std::size_t track = 0;
    for (const auto& counter : data.counters) {
        if (counter.points.empty() || track >= l.counters.size())
            continue;
        const QRectF box = l.counters[track++];
        const CounterLine c = counterLine(counter, box, l.plot, data, t0, t1);
        const QString text = groupedNumber(c.last);
        const double w = std::ceil(fm.horizontalAdvance(text)) + 2;
        const double h = std::ceil(fm.height());
        if (c.line.isEmpty()) {
            l.counterValues.push_back({ text, QRectF(), 0 }); // (one per track: the painter takes them in order)
            continue;
        }
        const QPointF end = c.line.back();
        QRectF rect;
        if (end.x() + 6 + w <= box.right()) {
            rect = QRectF(end.x() + 6, std::clamp(end.y() - h / 2, box.top(), box.bottom() - h), w, h);
        } else {
            // The line's extent under the text's columns (a few pixels either side).
            const double xl = box.right() - 4 - w - 3;
            double top = box.bottom(), bottom = box.top();
            for (qsizetype i = 0; i < c.line.size(); ++i) {
                const QPointF a = c.line[std::max<qsizetype>(i - 1, 0)], b = c.line[i];
                if (std::max(a.x(), b.x()) >= xl) {
                    top = std::min({ top, a.y(), b.y() });
                    bottom = std::max({ bottom, a.y(), b.y() });
                }
            }
            // (A text's cell has room above its glyphs: it may reach a little past the track.)
            if (top - 2 - h >= box.top() - 3)
                rect = QRectF(box.right() - 4 - w, top - 2 - h, w, h);
            else if (bottom + 2 + h <= box.bottom() + 3)
                rect = QRectF(box.right() - 4 - w, bottom + 2, w, h);
            else
                rect = QRectF(l.labels.right() - 4 - w, box.bottom() - h, w, h);
        }
        l.counterValues.push_back({ text, rect, end.x() });
    }
}

} // namespace

TimelinePainter::Layout TimelinePainter::layout(const TimelineData& data, const QRectF& target, const Options& options)
{
    Layout l;
    // A slide keeps its content off the edges, the right one included (bars ran flush to it).
    const QRectF area = options.slide ? target.adjusted(16, 12, -32, -12) : target;
    double y = placeHeader(l, area, options);
    y = placeLegend(l, data, area, y);
    y = placePhases(l, data, area, y, options);
    placeLanes(l, data, area, y, options);
    const auto [t0, t1] = layoutRange(data, options);
    const int unlabelled = placeExits(l, data, t0, t1);
    if (unlabelled > 0 && options.slide) {
        // The footnote takes a line from the lanes: place them again, and the labels on them.
        const auto note = [](int n) {
            return QStringLiteral("%1 process ends are not labelled: the lanes are too thin at this size.").arg(n);
        };
        l.footnotes << note(unlabelled);
        placeLanes(l, data, area, y, options);
        l.footnotes.back() = note(std::max(placeExits(l, data, t0, t1), 1));
    }
    placeCounterValues(l, data, t0, t1);
    return l;
}

namespace {

// One paint() call, step by step in the order the layers stack: each step leaves the painter's pen, font and
// clip as the next one expects (the order is the picture's: later steps draw over earlier ones).
class PaintPass {
public:
    using Options = TimelinePainter::Options;
    using Layout = TimelinePainter::Layout;

    PaintPass(QPainter& p, const QRectF& target, const TimelineData& data, std::int64_t t0, std::int64_t t1,
        const Options& options, const Layout& l)
        : p(p)
        , target(target)
        , data(data)
        , t0(t0)
        , t1(t1)
        , options(options)
        , l(l)
        , nsPerPx(double(t1 - t0) / l.plot.width())
        , rel0(double(t0 - data.zeroNs))
        , ticks(gridTicks())
    {
    }

    void background()
    {
        p.fillRect(target, options.theme.background);
        p.setPen(options.theme.ink);
    }
    void header();
    void legend();
    void laneLabels();
    void grid();
    void spans();
    void phases();
    void groupTitles();
    void marks();
    void counters();
    void axis();
    void footnotes();

private:
    // Where the spans of one lane go: its pixel rows and the height of the strip along its bottom.
    struct LaneBand {
        int top;
        int height;
        int stripHeight; // the hold kept meanwhile (Span::inside); 0 when the lane is too thin for one
    };
    // The rects of the lanes drawn on a vector target, batched per colour, and the gaps of every lane.
    struct SpanBatches {
        std::array<QList<QRect>, kLaneStateCount> byState;
        std::array<QList<QRect>, kLaneStateCount> insideByState;
        QList<QRectF> hatched; // gaps, hatched over whatever the row shows there
    };

    // Round times relative to the run's start, 1, 2 or 5 × 10^k ns apart, across the visible range.
    std::vector<double> gridTicks() const
    {
        const double step = niceStep(nsPerPx, 110);
        std::vector<double> result;
        for (double t = std::ceil(rel0 / step) * step; t <= double(t1 - data.zeroNs); t += step)
            result.push_back(t);
        return result;
    }
    double tickX(double t) const { return l.plot.left() + (t - rel0) / nsPerPx; }
    LaneBand laneBand(std::size_t lane) const;
    void addGaps(std::size_t lane, const LaneBand& band, QList<QRectF>& hatched) const;
    void laneRects(std::size_t lane, std::vector<LodRect>& rects) const;
    void drawBatches(const SpanBatches& batches);
    void counterTrack(const CounterSeries& counter, const QRectF& box, std::size_t track);

    QPainter& p;
    const QRectF& target;
    const TimelineData& data;
    const std::int64_t t0;
    const std::int64_t t1;
    const Options& options;
    const Layout& l;
    const double nsPerPx;
    const double rel0; // t0 since the run's start
    const std::vector<double> ticks;
};

void PaintPass::header()
{
    if (!options.header)
        return;
    p.setFont(font(20, true));
    p.drawText(l.header.adjusted(12, 6, -12, 0), Qt::AlignLeft | Qt::AlignTop,
        QStringLiteral("ThreadLab — %1").arg(data.title));
    double below = 32;
    if (!l.headlineLines.isEmpty()) {
        p.setFont(TimelinePainter::headlineFont());
        for (const QString& line : l.headlineLines) {
            p.drawText(l.header.adjusted(12, below, -12, 0), Qt::AlignLeft | Qt::AlignTop, line);
            below += kHeadlineLine;
        }
        below += kHeadlineHeight - kHeadlineLine;
    }
    p.setFont(font(13));
    p.setPen(options.theme.faint);
    p.drawText(l.header.adjusted(12, below, -12, 0), Qt::AlignLeft | Qt::AlignTop, data.subtitle);
}

// The legend, where the layout placed each entry.
void PaintPass::legend()
{
    p.setFont(legendFont());
    const QFontMetricsF fm(p.font());
    for (const TimelinePainter::LegendEntry& e : l.legendEntries) {
        if (e.strip) {
            p.fillRect(e.swatch, stateColor(LaneState::LockWait));
            p.fillRect(e.swatch.adjusted(0, 8, 0, 0), stateColor(LaneState::LockHeld));
        } else if (e.state == LaneState::NoData) {
            p.fillRect(e.swatch, hatchBrush(options.theme.ink));
            p.setPen(options.theme.faint);
            p.drawRect(e.swatch);
        } else {
            p.fillRect(e.swatch, stateColor(e.state));
        }
        p.setPen(options.theme.ink);
        p.drawText(QPointF(e.swatch.right() + 5, e.swatch.center().y() + fm.ascent() / 2 - 1), e.name);
    }
}

// Lane shading and lane names.
void PaintPass::laneLabels()
{
    p.setClipRect(target);
    p.setFont(font(std::clamp(l.laneHeight * 0.6, 8.0, 12.0)));
    for (std::size_t i = 0; i < l.lanes.size(); ++i) {
        const QRectF band = l.lanes[i];
        if (i % 2 == 1)
            p.fillRect(QRectF(l.labels.left(), band.top(), l.plot.right() - l.labels.left(), band.height()),
                options.theme.laneShade);
        if (l.laneHeight >= 8) {
            p.setPen(options.theme.ink);
            p.drawText(QRectF(l.labels.left() + 20, band.top(), kLabelWidth - 24, band.height()),
                Qt::AlignLeft | Qt::AlignVCenter, data.lanes[i].name);
        }
    }
}

// Grid lines under the spans, at round times relative to the run's start.
void PaintPass::grid()
{
    p.setClipRect(l.plot);
    p.setPen(options.theme.grid);
    for (const double t : ticks) {
        const double x = tickX(t);
        p.drawLine(QPointF(x, l.plot.top()), QPointF(x, l.axis.top()));
    }
}

PaintPass::LaneBand PaintPass::laneBand(std::size_t lane) const
{
    const QRectF band = l.lanes[lane];
    const double pad = l.laneHeight >= 10 ? 2 : 0;
    const int top = int(std::lround(band.top() + pad));
    const int h = std::max(1, int(std::lround(band.height() - 2 * pad)));
    return { top, h, h >= 6 ? std::max(2, h / 3) : 0 };
}

// Gaps are hatched whatever their width: even a sub-pixel one says "data missing here".
void PaintPass::addGaps(std::size_t lane, const LaneBand& band, QList<QRectF>& hatched) const
{
    const double scale = l.plot.width() / double(t1 - t0);
    for (const Gap& g : data.lanes[lane].gaps)
        if (g.end >= t0 && g.start <= t1) {
            const double a = l.plot.left() + double(std::max(g.start, t0) - t0) * scale;
            const double b = l.plot.left() + double(std::min(g.end, t1) - t0) * scale;
            // Only the CPU is unknown where the kernel's records were lost: hatch the strip, not the states.
            const int gapH = g.cpuOnly && band.stripHeight > 0 ? band.stripHeight : band.height;
            hatched.append(QRectF(a, band.top + band.height - gapH, std::max(b - a, 2.0), gapH));
        }
}

void PaintPass::laneRects(std::size_t lane, std::vector<LodRect>& rects) const
{
    rects.clear();
    if (options.lod) {
        lodRects(data.lanes[lane], t0, t1, l.plot.left(), l.plot.width(), options.minPx, rects);
        return;
    }
    // Every span a rect of its own, drawn the same way: what level of detail saves, alone.
    const double scale = l.plot.width() / double(t1 - t0);
    for (const Span& sp : data.lanes[lane].spans)
        if (sp.end >= t0 && sp.start <= t1)
            rects.push_back({ float(l.plot.left() + double(std::max(sp.start, t0) - t0) * scale),
                float(l.plot.left() + double(std::min(sp.end, t1) - t0) * scale), sp.state, false });
}

// Spans. On raster targets (screen, PNG, clipboard) each lane is written into a one-pixel-high row of colours
// and stretched to the lane's height with one drawImage: a few hundred rects per lane cost ~1,000
// instructions each in the raster engine, a row costs a memory fill. Vector targets (SVG, PDF) get real
// rectangles, snapped to whole pixels and batched per colour.
// The hold a lane is still inside while it waits, sleeps or has no CPU: a strip along the lane's bottom in the
// hold's colour, over the state's (a deadlocked worker's red wait shows the green lock it holds).
void PaintPass::spans()
{
    p.setPen(Qt::NoPen);
    const bool raster = p.paintEngine() && p.paintEngine()->type() == QPaintEngine::Raster;
    const int plotLeft = int(std::floor(l.plot.left()));
    const int plotWidth = int(std::ceil(l.plot.right())) - plotLeft;
    QImage row(std::max(plotWidth, 1), 1, QImage::Format_ARGB32_Premultiplied);
    std::array<QRgb, kLaneStateCount> rgb {};
    for (int s = 0; s < kLaneStateCount; ++s)
        rgb[std::size_t(s)] = stateColor(LaneState(s)).rgba();
    std::vector<LodRect> rects;
    QImage insideRow = row;
    SpanBatches batches;
    for (std::size_t i = 0; i < l.lanes.size(); ++i) {
        const LaneBand band = laneBand(i);
        addGaps(i, band, batches.hatched);
        laneRects(i, rects);
        const int stripH = band.stripHeight;
        const bool anyInside = stripH > 0
            && std::any_of(rects.begin(), rects.end(), [](const LodRect& r) { return r.inside != LaneState::Running; });
        // Where only the CPU is unknown (a child before the kernel follows it), the strip is hatched as the
        // legend's "no data" is, not a flat dark grey that reads as a state; neighbours merge into one rect.
        for (const LodRect& r : rects)
            if (anyInside && r.inside == LaneState::NoData) {
                const QRectF strip(r.x0, band.top + band.height - stripH, std::max(double(r.x1 - r.x0), 1.0), stripH);
                if (!batches.hatched.isEmpty() && batches.hatched.back().top() == strip.top()
                    && batches.hatched.back().right() >= strip.left() - 0.5)
                    batches.hatched.back().setRight(std::max(batches.hatched.back().right(), strip.right()));
                else
                    batches.hatched.append(strip);
            }
        if (raster) {
            row.fill(Qt::transparent);
            auto* pixels = reinterpret_cast<QRgb*>(row.scanLine(0));
            if (anyInside)
                insideRow.fill(Qt::transparent);
            auto* insidePixels = reinterpret_cast<QRgb*>(insideRow.scanLine(0));
            for (const LodRect& r : rects) {
                const int a = std::clamp(int(std::lround(r.x0)) - plotLeft, 0, plotWidth - 1);
                const int b = std::clamp(int(std::lround(r.x1)) - plotLeft, a + 1, plotWidth);
                std::fill(pixels + a, pixels + b, rgb[std::size_t(r.state)]);
                if (anyInside && r.inside != LaneState::Running)
                    std::fill(insidePixels + a, insidePixels + b, rgb[std::size_t(r.inside)]);
            }
            p.drawImage(QRect(plotLeft, band.top, plotWidth, band.height), row);
            if (anyInside)
                p.drawImage(QRect(plotLeft, band.top + band.height - stripH, plotWidth, stripH), insideRow);
        } else {
            for (const LodRect& r : rects) {
                const int x0 = int(std::lround(r.x0));
                const int w = std::max(1, int(std::lround(r.x1)) - x0);
                batches.byState[std::size_t(r.state)].append(QRect(x0, band.top, w, band.height));
                if (anyInside && r.inside != LaneState::Running)
                    batches.insideByState[std::size_t(r.inside)].append(
                        QRect(x0, band.top + band.height - stripH, w, stripH));
            }
        }
    }
    drawBatches(batches);
}

// The vector targets' rects, one drawRects per colour, then the gaps over every target's spans.
void PaintPass::drawBatches(const SpanBatches& batches)
{
    for (const auto* lists : { &batches.byState, &batches.insideByState })
        for (int s = 0; s < kLaneStateCount; ++s) {
            const QList<QRect>& list = (*lists)[std::size_t(s)];
            if (list.isEmpty())
                continue;
            p.setBrush(stateColor(LaneState(s)));
            p.drawRects(list.constData(), int(list.size()));
        }
    if (!batches.hatched.isEmpty()) {
        p.setBrush(options.theme.background);
        p.drawRects(batches.hatched.constData(), int(batches.hatched.size()));
        p.setBrush(hatchBrush(options.theme.ink));
        p.drawRects(batches.hatched.constData(), int(batches.hatched.size()));
    }
}

// Phases: a cell each in the strip's bottom row above the lanes, and a line across the lanes where one
// begins. A slide names each phase whole where the layout placed it (in its cell, or in a row above with a
// tick down to the cell); the window names it in its cell, cut to the cell.
void PaintPass::phases()
{
    if (data.phases.empty())
        return;
    p.setClipRect(l.phases.united(l.plot));
    p.setFont(TimelinePainter::phaseFont());
    const QFontMetricsF pfm(p.font());
    const QColor separator = QColor(options.theme.ink.red(), options.theme.ink.green(), options.theme.ink.blue(), 140);
    const double cellsTop = l.phases.bottom() - kPhaseHeight;
    int index = 0;
    for (const Phase& phase : data.phases) {
        const std::int64_t end = phase.end == INT64_MAX ? data.endNs : phase.end;
        const bool shaded = index++ % 2 == 1;
        if (end < t0 || phase.start > t1)
            continue;
        const double a = std::max(l.plot.left() + double(phase.start - t0) / nsPerPx, l.plot.left());
        const double b = std::min(l.plot.left() + double(end - t0) / nsPerPx, l.plot.right());
        const QRectF cell(a, cellsTop + 1, std::max(b - a, 1.0), kPhaseHeight - 2);
        p.fillRect(cell, shaded ? options.theme.grid : options.theme.laneShade);
        if (phase.start >= t0) {
            p.fillRect(QRectF(a, cellsTop, 1, l.plot.bottom() - cellsTop), separator);
        }
        if (!options.slide && cell.width() > 24) {
            p.setPen(options.theme.ink);
            p.drawText(cell.adjusted(4, 0, -4, 0), Qt::AlignCenter,
                pfm.elidedText(phase.label, Qt::ElideRight, cell.width() - 8));
        }
    }
    for (const TimelinePainter::PlacedText& label : l.phaseLabels) {
        if (label.rect.bottom() < cellsTop) {
            p.setPen(options.theme.faint);
            const double x = std::clamp(label.anchorX, label.rect.left(), label.rect.right());
            p.drawLine(QPointF(label.anchorX, cellsTop + 1), QPointF(x, label.rect.bottom()));
        }
        p.setPen(options.theme.ink);
        p.drawText(label.rect, Qt::AlignCenter, label.text);
    }
    p.setClipRect(l.plot);
}

// Group titles ("ThreadLab (pid 4242)"), over the grid and the phases' lines (the line at time 0 cut the
// title's ")"): each on a box of the background as wide as its text.
void PaintPass::groupTitles()
{
    p.setClipRect(target);
    p.setFont(TimelinePainter::groupFont());
    const QFontMetricsF fm(p.font());
    for (const auto& [title, gy] : l.groups) {
        const QRectF text(l.labels.left() + 8, gy, std::ceil(fm.horizontalAdvance(title)) + 1, kGroupHeight);
        p.fillRect(text.adjusted(-3, 0, 3, 0), options.theme.background);
        p.setPen(options.theme.ink);
        p.drawText(text, Qt::AlignLeft | Qt::AlignVCenter, title);
    }
    p.setClipRect(l.plot);
}

// Footnotes (slides): what did not fit, in words, under the axis.
void PaintPass::footnotes()
{
    if (l.footnotes.isEmpty() || !options.slide)
        return;
    p.setClipRect(target);
    p.setFont(TimelinePainter::footnoteFont());
    p.setPen(options.theme.faint);
    double y = l.footnote.top();
    for (const QString& note : l.footnotes) {
        p.drawText(QRectF(l.footnote.left(), y, l.footnote.width(), kFootnoteLine), Qt::AlignLeft | Qt::AlignVCenter,
            QStringLiteral("* ") + note);
        y += kFootnoteLine;
    }
}

// Marks: a scenario's marks as ticks at the top of the lane (one per pixel column at most), and the end of a
// lane's process as a red bar with what ended it.
void PaintPass::marks()
{
    const QColor death(0xc6, 0x28, 0x28);
    for (std::size_t i = 0; i < l.lanes.size(); ++i) {
        const QRectF band = l.lanes[i];
        const auto& marks = data.lanes[i].marks;
        auto it = std::lower_bound(
            marks.begin(), marks.end(), t0, [](const LaneMark& m, std::int64_t t) { return m.time < t; });
        double lastX = -1;
        for (; it != marks.end() && it->time <= t1; ++it) {
            const double x = l.plot.left() + double(it->time - t0) / nsPerPx;
            if (it->kind == EventKind::Exited) {
                p.fillRect(QRectF(x - 1, band.top(), 3, band.height()), death);
            } else if (x - lastX >= 1) {
                p.fillRect(QRectF(x, band.top(), 1, std::max(2.0, band.height() / 3)), options.theme.ink);
                lastX = x;
            }
        }
    }
    // What ended each process, where the layout put it: right of the bar, or left of it on a box of the
    // background where the plot ends too soon.
    p.setFont(TimelinePainter::exitFont(l.laneHeight));
    p.setPen(death);
    for (const TimelinePainter::PlacedText& label : l.exitLabels) {
        if (label.rect.right() < label.anchorX)
            p.fillRect(label.rect.adjusted(-2, 2, 2, -2), options.theme.background);
        p.drawText(label.rect, Qt::AlignVCenter | Qt::AlignLeft, label.text);
    }
}

// Counters (slides): a step line per track over the visible time, scaled from 0 to the largest value shown,
// named in the label column with the value at the right end of the range.
void PaintPass::counters()
{
    std::size_t track = 0;
    for (const auto& counter : data.counters) {
        if (counter.points.empty() || track >= l.counters.size())
            continue;
        counterTrack(counter, l.counters[track], track);
        ++track;
    }
}

void PaintPass::counterTrack(const CounterSeries& counter, const QRectF& box, std::size_t track)
{
    p.setClipRect(target);
    p.fillRect(QRectF(l.labels.left(), box.top() + 2, box.right() - l.labels.left(), box.height() - 4),
        options.theme.laneShade);
    const CounterLine c = counterLine(counter, box, l.plot, data, t0, t1);
    p.setPen(options.theme.ink);
    p.setFont(TimelinePainter::counterFont());
    p.drawText(QRectF(l.labels.left() + 20, box.top(), kLabelWidth - 24, box.height()),
        Qt::AlignLeft | Qt::AlignVCenter, counter.name);
    p.setClipRect(box);
    p.setPen(QPen(QColor(0xc6, 0x28, 0x28), 2));
    p.drawPolyline(c.line);
    p.setClipRect(target);
    p.setPen(options.theme.ink);
    if (track < l.counterValues.size())
        p.drawText(l.counterValues[track].rect, Qt::AlignLeft | Qt::AlignVCenter, l.counterValues[track].text);
}

// Axis labels under the plot, and the axis's title in the label column beside it.
void PaintPass::axis()
{
    p.setClipRect(target);
    p.setPen(options.theme.faint);
    p.drawLine(l.axis.topLeft(), l.axis.topRight());
    p.setFont(font(11));
    for (const double t : ticks) {
        const double x = tickX(t);
        p.drawLine(QPointF(x, l.axis.top()), QPointF(x, l.axis.top() + 5));
        // The start is 0 in any unit: "0 ns" next to "500 ms" read as a unit change.
        p.drawText(QRectF(x - 60, l.axis.top() + 6, 120, 18), Qt::AlignHCenter | Qt::AlignTop,
            t == 0 ? QStringLiteral("0") : tl::formatDuration(t));
    }
    p.setPen(options.theme.ink);
    p.drawText(QRectF(l.labels.left() + 8, l.axis.top() + 6, kLabelWidth - 16, 18), Qt::AlignRight | Qt::AlignTop,
        QStringLiteral("time since start"));
}

} // namespace

void TimelinePainter::paint(QPainter& p, const QRectF& target, const TimelineData& data, std::int64_t t0,
    std::int64_t t1, const Options& options)
{
    Options ranged = options;
    ranged.t0 = t0;
    ranged.t1 = t1;
    const Layout l = layout(data, target, ranged);
    p.save();
    PaintPass pass(p, target, data, t0, t1, ranged, l);
    pass.background();
    pass.header();
    pass.legend();
    pass.laneLabels();
    pass.grid();
    pass.spans();
    pass.phases();
    pass.groupTitles();
    pass.marks();
    pass.counters();
    pass.axis();
    pass.footnotes();
    p.restore();
}

} // namespace tl::ui
