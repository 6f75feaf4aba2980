#include "../support/pdftext.h"
#include "../support/runscenario.h"

#include <document/resultshtml.h>
#include <models/timelinedata.h>
#include <scenarios/registry.h>
#include <timeline/timelineexport.h>
#include <timeline/timelinepainter.h>

#include <QApplication>
#include <QFontMetricsF>
#include <QImage>
#include <QPainter>
#include <QRegularExpression>
#include <QTest>
#include <map>

using namespace tl;
using namespace tl::ui;

// Every scenario's slide at 1920×1080 and at 1280×720 says its headline, its phases' names and what ended
// each process whole: each text measured here with QFontMetricsF against the rect it is drawn in, and read back
// from the PDF by pdftotext; what cannot fit is said in a footnote, never with "…". And the three things
// that sat on each other: a group title and the line at time 0, a counter's last value and its line, the
// window's exit label and the right edge.
class TestSlideText : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void everyScenarioSaysItsTextsWhole_data();
    void everyScenarioSaysItsTextsWhole();
    void aLongHeadlineWrapsToTwoLines_data();
    void aLongHeadlineWrapsToTwoLines();
    void aNumberIsNotSplitAcrossLines();
    void theLineAtTimeZeroLeavesTheGroupTitleAlone();
    void aCounterValueIsBesideItsLine();
    void theWindowKeepsAnExitLabelInside();

private:
    struct Outcome {
        TimelineData data;
        QString headline;
    };
    // Each scenario run once with its defaults: the outcome a slide is made from.
    std::map<QString, Outcome> m_outcomes;
    // A lane "worker-1" in `group` running over [0, end], ended at `exitAt` by SIGKILL when it is not 0.
    static TimelineData oneLane(const QString& group, std::int64_t end, std::int64_t exitAt = 0);
};

void TestSlideText::initTestCase()
{
    for (const ScenarioInfo& info : scenarioCatalog()) {
        const RunOutcome outcome = test::runScenario(info.name, {});
        QVERIFY2(outcome.trace, qPrintable(info.name));
        m_outcomes[info.name]
            = { TimelineData::fromTrace(*outcome.trace), runAccount(outcome, summaryJson(outcome)).headline };
    }
}

TimelineData TestSlideText::oneLane(const QString& group, std::int64_t end, std::int64_t exitAt)
{
    TimelineData data;
    data.title = QStringLiteral("fixture");
    data.startNs = data.zeroNs = 0;
    data.endNs = end;
    std::vector<LaneMark> marks;
    if (exitAt > 0)
        marks.push_back({ exitAt, -9, EventKind::Exited });
    data.lanes.emplace_back(QStringLiteral("worker-1"), group,
        std::vector<Span> { { 0, exitAt > 0 ? exitAt : end, 0, 0, LaneState::Running } }, std::vector<Gap> {},
        std::move(marks));
    return data;
}

void TestSlideText::everyScenarioSaysItsTextsWhole_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QSize>("size");
    for (const ScenarioInfo& info : scenarioCatalog())
        for (const QSize size : { QSize(1920, 1080), QSize(1280, 720) })
            QTest::addRow("%s %dx%d", qPrintable(info.name), size.width(), size.height()) << info.name << size;
}

void TestSlideText::everyScenarioSaysItsTextsWhole()
{
    QFETCH(QString, scenario);
    QFETCH(QSize, size);
    const Outcome& outcome = m_outcomes.at(scenario);
    const TimelineData& data = outcome.data;
    const ImageOptions options { size, outcome.headline };
    const auto l = exportLayout(data, options);
    const double s = exportScale(size);
    const QString notes = l.footnotes.join(u'\n');
    auto width
        = [s](const QFont& font, const QString& text) { return QFontMetricsF(font).horizontalAdvance(text) * s; };

    // The headline: whole, in at most three lines each within the header (or a footnote says it is cut).
    if (!outcome.headline.isEmpty()) {
        QVERIFY(!l.headlineLines.isEmpty());
        QVERIFY(l.headlineLines.size() <= 3);
        if (!notes.contains(u"headline"))
            QCOMPARE(l.headlineLines.join(u' '), outcome.headline.simplified());
        // No number split across lines ("at 16" / "384 KiB per payload").
        static const QRegularExpression group(QStringLiteral("^\\d{3}(?!\\d)"));
        for (qsizetype i = 1; i < l.headlineLines.size(); ++i)
            QVERIFY2(!(l.headlineLines[i - 1].back().isDigit() && group.match(l.headlineLines[i]).hasMatch()),
                qPrintable(l.headlineLines[i - 1] + QStringLiteral(" / ") + l.headlineLines[i]));
        for (const QString& line : l.headlineLines) {
            QVERIFY2(width(TimelinePainter::headlineFont(), line) <= l.header.width() - 24 * s + 0.5, qPrintable(line));
            QVERIFY2(!line.endsWith(u'…'), qPrintable(line));
        }
    }

    // Phases: each said whole, by its name in or over its cell, or (a run of "X · 1/3", "X · 2/3"…) by "X"
    // over the run and "1/3" in its cell; each text drawn as wide as its rect allows, inside the strip and the
    // plot, on no other. A phase not said had no room in its own cell, and the footnote counts it.
    const std::int64_t t1 = slideEnd(data, data.startNs, data.endNs, options);
    const double nsPerPx = double(t1 - data.startNs) / l.plot.width();
    auto placed = [&](const QString& text, double from, double to) {
        return std::any_of(l.phaseLabels.begin(), l.phaseLabels.end(),
            [&](const auto& t) { return t.text == text && t.anchorX >= from - 0.5 && t.anchorX <= to + 0.5; });
    };
    QStringList names;
    int visible = 0, said = 0;
    for (const Phase& phase : data.phases) {
        const std::int64_t end = phase.end == INT64_MAX ? data.endNs : phase.end;
        if (end < data.startNs || phase.start > t1)
            continue;
        ++visible;
        const double xa = l.plot.left() + double(std::max(phase.start, data.startNs) - data.startNs) / nsPerPx;
        const double xb = l.plot.left() + double(std::min(end, t1) - data.startNs) / nsPerPx;
        const qsizetype dot = phase.label.lastIndexOf(QStringLiteral(" · "));
        const QString prefix = dot > 0 ? phase.label.left(dot) : QString();
        const QString suffix = dot > 0 ? phase.label.mid(dot + 3) : QString();
        names << phase.label << prefix << suffix;
        // (A run said at once, "X · 1/3–3/3", names each phase of that run from its first to its last.)
        const qsizetype index = &phase - data.phases.data();
        const bool inRange
            = !prefix.isEmpty() && std::any_of(l.phaseLabels.begin(), l.phaseLabels.end(), [&](const auto& t) {
                  if (!t.text.startsWith(prefix + QStringLiteral(" · ")))
                      return false;
                  const QStringList ends = t.text.mid(prefix.size() + 3).split(u'–');
                  if (ends.size() != 2)
                      return false;
                  auto find = [&](const QString& label, qsizetype from, int step) {
                      for (qsizetype k = from; k >= 0 && k < qsizetype(data.phases.size()); k += step) {
                          if (data.phases[std::size_t(k)].label == label)
                              return true;
                          if (!data.phases[std::size_t(k)].label.startsWith(prefix + QStringLiteral(" · ")))
                              return false;
                      }
                      return false;
                  };
                  return find(prefix + QStringLiteral(" · ") + ends[0], index, -1)
                      && find(prefix + QStringLiteral(" · ") + ends[1], index, +1);
              });
        const bool whole = placed(phase.label, xa, xb)
            || (!prefix.isEmpty() && placed(prefix, l.plot.left(), l.plot.right()) && placed(suffix, xa, xb))
            || inRange;
        said += whole;
        if (width(TimelinePainter::phaseFont(), phase.label) + 8 * s + 2 <= xb - xa)
            QVERIFY2(whole, qPrintable(phase.label + QStringLiteral(" fits its cell and is not said")));
    }
    for (std::size_t i = 0; i < l.phaseLabels.size(); ++i) {
        const auto& t = l.phaseLabels[i];
        QVERIFY2(!t.text.isEmpty() && (names.contains(t.text) || t.text.contains(u'–')), qPrintable(t.text));
        QVERIFY2(width(TimelinePainter::phaseFont(), t.text) <= t.rect.width() + 0.5, qPrintable(t.text));
        QVERIFY2(l.phases.adjusted(-1, -1, 1, 1).contains(t.rect), qPrintable(t.text));
        QVERIFY2(t.rect.left() >= l.plot.left() - 0.5 && t.rect.right() <= l.plot.right() + 0.5, qPrintable(t.text));
        for (std::size_t j = 0; j < i; ++j)
            QVERIFY2(!l.phaseLabels[j].rect.intersects(t.rect),
                qPrintable(t.text + QStringLiteral(" / ") + l.phaseLabels[j].text));
    }
    if (said < visible)
        QVERIFY2(notes.contains(QStringLiteral("%1 of %2 phase names").arg(visible - said).arg(visible)),
            qPrintable(QStringLiteral("%1 of %2 said; footnotes: %3").arg(said).arg(visible).arg(notes)));
    else
        QVERIFY2(!notes.contains(u"phase names"), qPrintable(notes));

    // Exits: every end of a process in its lane's words, whole, inside the plot (or the footnote says so).
    int exits = 0;
    for (const TimelineLane& lane : data.lanes)
        for (const LaneMark& m : lane.marks)
            if (m.kind == EventKind::Exited) {
                ++exits;
                const QString text = QStringLiteral("✕ ") + QString::fromStdString(exitText(m.value));
                const bool drawn = std::any_of(
                    l.exitLabels.begin(), l.exitLabels.end(), [&](const auto& t) { return t.text == text; });
                QVERIFY2(drawn || notes.contains(u"process ends are not labelled"), qPrintable(text));
            }
    for (const auto& t : l.exitLabels) {
        QVERIFY2(
            width(TimelinePainter::exitFont(l.laneHeight / s), t.text) <= t.rect.width() + 0.5, qPrintable(t.text));
        QVERIFY2(t.rect.left() >= l.plot.left() - 0.5 && t.rect.right() <= l.plot.right() + 0.5, qPrintable(t.text));
    }
    QCOMPARE(int(l.exitLabels.size()) <= exits, true);
    QVERIFY2(l.footnotes.size() == 0 || l.footnote.bottom() <= size.height(), qPrintable(notes));

    // What a reader of the PDF sees: every text above, and no ellipsis the run's own words do not have.
    bool skip = false;
    const QString text = test::pdfText(data, options, &skip);
    if (skip)
        QSKIP("pdftotext (poppler-utils) is not installed: cannot read the PDF back");
    const QString flat = text.simplified();
    if (!outcome.headline.contains(u'…'))
        QVERIFY2(!text.contains(u'…'), qPrintable(text.left(600)));
    for (const QString& line : l.headlineLines)
        QVERIFY2(flat.contains(line.simplified()), qPrintable(line + QStringLiteral(" | ") + flat.left(600)));
    for (const auto* list : { &l.phaseLabels, &l.exitLabels })
        for (const auto& t : *list)
            QVERIFY2(flat.contains(t.text.simplified()), qPrintable(t.text + QStringLiteral(" | ") + flat.left(600)));
}

void TestSlideText::aLongHeadlineWrapsToTwoLines_data()
{
    QTest::addColumn<QSize>("size");
    QTest::newRow("1920x1080") << QSize(1920, 1080);
    QTest::newRow("1280x720") << QSize(1280, 720);
}

// 165 characters (ipc-throughput's kind): it lost its result to an ellipsis ("…; at 1…").
void TestSlideText::aLongHeadlineWrapsToTwoLines()
{
    QFETCH(QSize, size);
    const QString headline = QStringLiteral(
        "Over 3 runs of 100 000 messages of 1 KiB each, a pipe carried 412 MB/s and a queue 388 MB/s between two "
        "processes; at 1 KiB the pipe was 1.06× as fast as the queue.");
    QVERIFY(headline.size() >= 160);
    const TimelineData data = oneLane(QStringLiteral("ThreadLab (pid 42)"), 1'000'000);
    const auto l = exportLayout(data, { size, headline });
    QCOMPARE(l.headlineLines.size(), 2);
    QCOMPARE(l.headlineLines.join(u' '), headline);
    QVERIFY2(l.footnotes.isEmpty(), qPrintable(l.footnotes.join(u'\n')));
    const double s = exportScale(size);
    for (const QString& line : l.headlineLines)
        QVERIFY(QFontMetricsF(TimelinePainter::headlineFont()).horizontalAdvance(line) * s
            <= l.header.width() - 24 * s + 0.5);
    // The second line is painted: ink in the header where it goes, below the first.
    const QImage image = renderTimeline(data, data.startNs, data.endNs, { size, headline });
    const QFontMetricsF fm(TimelinePainter::headlineFont());
    const int y0 = int(l.header.top() + (32 + 21) * s), y1 = int(l.header.top() + (32 + 21) * s + fm.height() * s);
    int ink = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = int(l.header.left() + 12 * s); x < int(l.header.left() + (12 + 200) * s); ++x)
            ink += qGray(image.pixel(x, y)) < 100;
    QVERIFY2(ink > 50, qPrintable(QString::number(ink)));
}

// An account writes "16 384" with a plain space: a headline whose first line ends just after "16" goes on with
// "16 384 KiB" whole on the second (it read "at 16" / "384 KiB per payload").
void TestSlideText::aNumberIsNotSplitAcrossLines()
{
    const QSize size(1280, 720);
    const TimelineData data = oneLane(QStringLiteral("ThreadLab (pid 42)"), 1'000'000);
    const double room = exportLayout(data, { size, QStringLiteral("x") }).header.width() / exportScale(size) - 24;
    const QFontMetricsF fm(TimelinePainter::headlineFont());
    QString filler = QStringLiteral("Measured");
    while (fm.horizontalAdvance(filler + QStringLiteral(" a 16")) <= room)
        filler += QStringLiteral(" a"); // (narrower than " 384": the number then cannot end the line whole)
    QVERIFY(fm.horizontalAdvance(filler + QStringLiteral(" 16")) <= room);
    QVERIFY(fm.horizontalAdvance(filler + QStringLiteral(" 16 384")) > room);
    const QString headline = filler + QStringLiteral(" 16 384 KiB per payload.");
    const auto l = exportLayout(data, { size, headline });
    QCOMPARE(l.headlineLines.size(), 2);
    QCOMPARE(l.headlineLines[1], QStringLiteral("16 384 KiB per payload."));
}

// The line at time 0 (a grid line and the first phase's start) crossed the group title where the title is
// wider than the label column: in the title's row, every column of the title keeps some background.
void TestSlideText::theLineAtTimeZeroLeavesTheGroupTitleAlone()
{
    const QString group = QStringLiteral("ThreadLab (pid 4194304) parent");
    TimelineData data = oneLane(group, 1'000'000);
    data.phases = { { 0, 500'000, QStringLiteral("start") }, { 500'000, 1'000'000, QStringLiteral("work") } };
    const QSize size(1920, 1080);
    const auto l = exportLayout(data, { size, {} });
    const double s = exportScale(size);
    const QImage image = renderTimeline(data, data.startNs, data.endNs, { size, {} });
    QCOMPARE(l.groups.size(), std::size_t(1));
    const double titleRight
        = l.labels.left() + (8 + QFontMetricsF(TimelinePainter::groupFont()).horizontalAdvance(group)) * s;
    QVERIFY2(titleRight > l.plot.left() + 4, "the fixture's title must reach into the plot");
    const int top = int(std::ceil(l.groups.front().second)) + 1;
    const int bottom = int(l.groups.front().second + 20 * s) - 1;
    const QRgb background = image.pixel(2, 2);
    for (int x = int(l.plot.left()) - 2; x < int(titleRight); ++x) {
        bool clear = false;
        for (int y = top; y < bottom && !clear; ++y)
            clear = image.pixel(x, y) == background;
        QVERIFY2(clear, qPrintable(QStringLiteral("a line crosses the group title at x=%1").arg(x)));
    }
}

// A counter's last value was drawn over its line: right-aligned at mid-height, where a line ending at half its
// highest value runs. No pixel of the line's red inside the value's rect, and the value's ink there.
void TestSlideText::aCounterValueIsBesideItsLine()
{
    TimelineData data = oneLane(QStringLiteral("ThreadLab (pid 42)"), 1'000'000);
    // Up to 4 then back to 2 (half) for the last quarter, up to 4 at the very end, down to 0.
    data.counters.push_back({ QStringLiteral("half"), { { 0, 0 }, { 250'000, 4 }, { 750'000, 2 } } });
    data.counters.push_back({ QStringLiteral("full"), { { 0, 0 }, { 500'000, 4 } } });
    data.counters.push_back({ QStringLiteral("empty"), { { 0, 4 }, { 500'000, 0 } } });
    for (const QSize size : { QSize(1920, 1080), QSize(1280, 720) }) {
        const auto l = exportLayout(data, { size, {} });
        const QImage image = renderTimeline(data, data.startNs, data.endNs, { size, {} });
        QCOMPARE(l.counterValues.size(), std::size_t(3));
        const QStringList want { QStringLiteral("2"), QStringLiteral("4"), QStringLiteral("0") };
        for (std::size_t i = 0; i < 3; ++i) {
            const auto& v = l.counterValues[i];
            QCOMPARE(v.text, want[qsizetype(i)]);
            const QRect r = v.rect.toAlignedRect().intersected(image.rect());
            int red = 0, ink = 0;
            for (int y = r.top(); y <= r.bottom(); ++y)
                for (int x = r.left(); x <= r.right(); ++x) {
                    const QRgb c = image.pixel(x, y);
                    red += qRed(c) > 0x90 && qGreen(c) < 0x70 && qBlue(c) < 0x70;
                    ink += qGray(c) < 110 && qRed(c) < 0x70;
                }
            QVERIFY2(
                red == 0, qPrintable(QStringLiteral("%1: %2 px of the line under its value").arg(v.text).arg(red)));
            QVERIFY2(ink > 5, qPrintable(v.text + QStringLiteral(" is not drawn where the layout says")));
        }
    }
}

// In the window (no slide's extra range) a process that ends at the right edge had its label cut off: it goes
// left of the bar instead, inside the plot, whole.
void TestSlideText::theWindowKeepsAnExitLabelInside()
{
    const TimelineData data = oneLane(QStringLiteral("child-0 (pid 43)"), 1'000'000, 990'000);
    const QRectF target(0, 0, 900, 300);
    TimelinePainter::Options options;
    options.header = false;
    options.t0 = 0;
    options.t1 = 1'000'000;
    const auto l = TimelinePainter::layout(data, target, options);
    QCOMPARE(l.exitLabels.size(), std::size_t(1));
    const auto& label = l.exitLabels.front();
    QCOMPARE(label.text, QStringLiteral("✕ killed by SIGKILL"));
    QVERIFY(QFontMetricsF(TimelinePainter::exitFont(l.laneHeight)).horizontalAdvance(label.text) <= label.rect.width());
    QVERIFY2(label.rect.right() <= l.plot.right() && label.rect.left() >= l.plot.left(), "the label leaves the plot");
    // Painted there: the death's red in the label's rect, left of the bar.
    QImage image(target.size().toSize(), QImage::Format_RGB32);
    {
        QPainter p(&image);
        TimelinePainter::paint(p, target, data, 0, 1'000'000, options);
    }
    int red = 0;
    const QRect r = label.rect.toAlignedRect().intersected(image.rect());
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x)
            red += qRed(image.pixel(x, y)) > 0x90 && qGreen(image.pixel(x, y)) < 0x70;
    QVERIFY2(red > 10, qPrintable(QString::number(red)));
}

QTEST_MAIN(TestSlideText)
#include "tst_slidetext.moc"
