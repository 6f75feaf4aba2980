#pragma once

#include <models/timelinedata.h>

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QRectF>
#include <QStringList>
#include <vector>

class QPainter;

namespace tl::ui {

QColor stateColor(LaneState state);
// How gaps (events lost) are drawn: a hatch in the ink colour, over the background.
QBrush hatchBrush(const QColor& ink);

// The one routine that draws a timeline: on screen, and into PNG, SVG and PDF. Title and parameters,
// legend, one lane per worker under its process, and a time axis.
class TimelinePainter {
public:
    // Everything but the state colours, which stay the same so a picture reads the same everywhere.
    struct Theme {
        QColor background;
        QColor ink;
        QColor faint;
        QColor laneShade;
        QColor grid;
        static Theme light();
        static Theme dark();
    };
    struct Options {
        Theme theme = Theme::light(); // exports are always light: they end up on slides and in reports
        bool header = true; // title and parameters
        bool lod = true; // level-of-detail merging; off draws every span (for comparison only)
        double minPx = 3; // narrower spans are merged
        // For a slide (exported images): margins, lanes that grow to fill the height, the run's counters as
        // tracks under the lanes, and `headline` (the outcome in the run's own numbers) under the title.
        bool slide = false;
        QString headline;
        // The range drawn (paint() sets it): where phase names, exit labels and counter values go depends on
        // it. Both 0: the whole run.
        std::int64_t t0 = 0;
        std::int64_t t1 = 0;
    };
    // A text the layout placed whole: never elided; what does not fit is said in a footnote instead (slides).
    struct PlacedText {
        QString text;
        QRectF rect; // where it is drawn, at least as wide as the text
        double anchorX = 0; // the x it tells about: a phase's cell centre, an exit's bar
    };
    // One legend entry: a lane state, or (strip) the hold kept along a lane's bottom; where its swatch goes.
    struct LegendEntry {
        LaneState state = LaneState::Running;
        bool strip = false;
        QString name;
        QRectF swatch;
    };
    struct Layout {
        QRectF header;
        QRectF legend; // as many rows as its entries need at the target's width
        std::vector<LegendEntry> legendEntries;
        QRectF phases; // the strip naming the run's phases, above the lanes; empty when it has none
        QRectF labels;
        QRectF plot;
        QRectF axis;
        double laneHeight = 0;
        std::vector<QRectF> lanes; // lane i's band inside the plot
        std::vector<QRectF> counters; // counter i's track under the lanes (slides only; the first few)
        std::vector<std::pair<QString, double>> groups; // group title and its y
        QStringList headlineLines; // the headline wrapped at spaces to the header's width (at most 3 lines)
        std::vector<PlacedText> phaseLabels; // slides: whole phase names, in their cells or in rows above
        std::vector<PlacedText> exitLabels; // "✕ killed by SIGKILL" beside each end of a process in range
        std::vector<PlacedText> counterValues; // each counter track's last value, clear of its line
        QStringList footnotes; // slides: what did not fit, said in words
        QRectF footnote; // where they go, under the axis; empty when there are none
    };
    // The fonts of the texts above (the title, headline, phase names, exit labels, counter values, footnotes).
    static QFont headlineFont();
    static QFont phaseFont();
    static QFont exitFont(double laneHeight);
    static QFont counterFont();
    static QFont footnoteFont();
    static QFont groupFont();

    static Layout layout(const TimelineData& data, const QRectF& target, const Options& options);
    static void paint(QPainter& p, const QRectF& target, const TimelineData& data, std::int64_t t0, std::int64_t t1,
        const Options& options);
    static void paint(QPainter& p, const QRectF& target, const TimelineData& data, std::int64_t t0, std::int64_t t1)
    {
        paint(p, target, data, t0, t1, Options {});
    }
};

} // namespace tl::ui
