#include "../support/pdftext.h"
#include "../support/runscenario.h"

#include <timeline/timelineexport.h>
#include <timeline/timelinepainter.h>

#include <QBuffer>
#include <QGuiApplication>
#include <QImage>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

using namespace tl;
using namespace tl::ui;

class TestTimelineExport : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void pngHasOneLanePerWorkerAndTheLegend();
    void svgParsesAndStaysSmallForMillionsOfEvents();
    void pdfShowsTheLanesAndTheLegend();
    void failedWriteLeavesNoFile();
    void slideShowsTheHeadlineAndTheCounters();
    void sizesAndHeadlinesAreParsed();
    void legendWrapsWhereTheWidthEnds();

private:
    static int colouredPixels(const QImage& image, const QRectF& area);
    static TimelineData syntheticTimeline(int lanes, int spansPerLane);
    // The text of `data` exported as PDF, read back by pdftotext (what a reader of the PDF sees); empty
    // with `skip` set when pdftotext is not installed.
    static QString pdfText(const TimelineData& data, const ImageOptions& options, bool* skip);
    TimelineData m_data;
};

void TestTimelineExport::initTestCase()
{
    m_data = TimelineData::fromTrace(*test::runScenario(
        QStringLiteral("lock-contention"), { QStringLiteral("workers=5"), QStringLiteral("iterations=100") })
                                          .trace);
    QCOMPARE(m_data.lanes.size(), std::size_t(5));
}

int TestTimelineExport::colouredPixels(const QImage& image, const QRectF& area)
{
    int n = 0;
    const QRect r = area.toAlignedRect().intersected(image.rect());
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x)
            for (int s = 0; s < kLaneStateCount; ++s)
                if (image.pixel(x, y) == stateColor(LaneState(s)).rgb()) {
                    ++n;
                    break;
                }
    return n;
}

TimelineData TestTimelineExport::syntheticTimeline(int lanes, int spansPerLane)
{
    TimelineData data;
    data.title = QStringLiteral("synthetic");
    data.endNs = std::int64_t(spansPerLane) * 100;
    for (int l = 0; l < lanes; ++l) {
        std::vector<Span> spans;
        for (int i = 0; i < spansPerLane; ++i)
            spans.push_back({ std::int64_t(i) * 100, std::int64_t(i) * 100 + 100, 1, 0, LaneState((i + l) % 4) });
        data.lanes.emplace_back(QStringLiteral("worker-%1").arg(l + 1), QStringLiteral("ThreadLab"), std::move(spans));
    }
    return data;
}

void TestTimelineExport::pngHasOneLanePerWorkerAndTheLegend()
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(exportTimeline(m_data, m_data.startNs, m_data.endNs, ImageFormat::Png, buffer));
    QImage image;
    QVERIFY(image.loadFromData(buffer.data(), "PNG"));
    QCOMPARE(image.size(), QSize(1920, 1080)); // a 16:9 slide unless told otherwise

    const auto layout = exportLayout(m_data);
    QVERIFY(layout.plot.right() < 1920 - 24); // a margin on the right: bars do not run into the edge
    QCOMPARE(layout.lanes.size(), std::size_t(5));
    for (const QRectF& lane : layout.lanes)
        QVERIFY2(colouredPixels(image, lane) >= lane.height() / 2,
            "a worker's lane is empty"); // a column at least: a worker may run briefly
    // Below the last lane and above the axis, no lane is drawn.
    const QRectF below(layout.plot.left(), layout.lanes.back().bottom() + 1, layout.plot.width(),
        layout.axis.top() - layout.lanes.back().bottom() - 2);
    if (below.height() > 0) {
        QCOMPARE(colouredPixels(image, below), 0);
    }
    // The legend shows a swatch of every state that occurs, and only those ("no data" only where events were
    // lost): in the run (whatever the scheduler made of it) and in a fixture whose states are known, with a
    // lock wait, which a run on a busy machine may not have.
    // The state swatches as painted (read back from the image at each swatch; the strip's swatch, which shows
    // a hold under a wait, is no state's).
    const auto legendMatches = [](const QImage& exported, const TimelineData& data, const auto& present) {
        std::array<bool, kLaneStateCount> shown {};
        for (const auto& entry : exportLayout(data).legendEntries)
            for (int s = 0; s < kLaneStateCount && !entry.strip; ++s)
                shown[std::size_t(s)] = shown[std::size_t(s)]
                    || exported.pixel(entry.swatch.center().toPoint()) == stateColor(LaneState(s)).rgb();
        for (int s = 0; s < kLaneStateCount; ++s) {
            if (LaneState(s) != LaneState::NoData && shown[std::size_t(s)] != present[std::size_t(s)]) {
                qWarning() << laneStateName(LaneState(s))
                           << (shown[std::size_t(s)] ? "shown, not present" : "present, not shown");
                return false;
            }
        }
        return true;
    };
    QVERIFY(legendMatches(image, m_data, m_data.statesPresent()));

    TimelineData fixture;
    fixture.title = QStringLiteral("fixture");
    fixture.endNs = 400;
    fixture.lanes.emplace_back(QStringLiteral("worker-1"), QStringLiteral("ThreadLab"),
        std::vector<Span> { { 0, 200, 0, 0, LaneState::Running }, { 200, 400, 1, 0, LaneState::LockWait } });
    fixture.lanes.emplace_back(QStringLiteral("worker-2"), QStringLiteral("ThreadLab"),
        std::vector<Span> { { 0, 300, 1, 1, LaneState::LockHeldContended }, { 300, 400, 0, -1, LaneState::Sleeping } });
    std::array<bool, kLaneStateCount> inFixture {};
    for (const LaneState s :
        { LaneState::Running, LaneState::LockWait, LaneState::LockHeldContended, LaneState::Sleeping })
        inFixture[std::size_t(s)] = true;
    QBuffer fixturePng;
    fixturePng.open(QIODevice::WriteOnly);
    QVERIFY(exportTimeline(fixture, 0, fixture.endNs, ImageFormat::Png, fixturePng));
    QImage fixtureImage;
    QVERIFY(fixtureImage.loadFromData(fixturePng.data(), "PNG"));
    QVERIFY(legendMatches(fixtureImage, fixture, inFixture));
}

void TestTimelineExport::svgParsesAndStaysSmallForMillionsOfEvents()
{
    const TimelineData big = syntheticTimeline(16, 125'000); // 2M spans
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(exportTimeline(big, 0, big.endNs, ImageFormat::Svg, buffer));
    QXmlStreamReader xml(buffer.data());
    int elements = 0;
    while (!xml.atEnd())
        if (xml.readNext() == QXmlStreamReader::StartElement)
            ++elements;
    QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
    QVERIFY2(elements <= 50'000, qPrintable(QString::number(elements)));
    QVERIFY(buffer.data().contains("worker-16"));
}

QString TestTimelineExport::pdfText(const TimelineData& data, const ImageOptions& options, bool* skip)
{
    return test::pdfText(data, options, skip, { QStringLiteral("-layout") });
}

void TestTimelineExport::pdfShowsTheLanesAndTheLegend()
{
    bool skip = false;
    const QString text = pdfText(m_data, {}, &skip);
    if (skip)
        QSKIP("pdftotext (poppler-utils, installer/install-deps.sh) is not installed: cannot read the PDF back");
    for (const auto& lane : m_data.lanes)
        QVERIFY2(text.contains(lane.name), qPrintable(lane.name + " is not in the PDF: " + text.left(500)));
    const auto present = m_data.statesPresent();
    for (int s = 0; s < kLaneStateCount; ++s)
        if (present[std::size_t(s)])
            QVERIFY2(text.contains(laneStateName(LaneState(s))),
                qPrintable(laneStateName(LaneState(s)) + " is not in the PDF's legend"));
    QVERIFY2(!text.contains(laneStateName(LaneState::NoData)), "no events were lost, yet the legend says \"no data\"");
}

void TestTimelineExport::failedWriteLeavesNoFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("missing/sub/dir/out.png"));
    QString error;
    QVERIFY(!exportTimelineFile(m_data, m_data.startNs, m_data.endNs, ImageFormat::Png, path, &error));
    QVERIFY(error.contains(path));
    QVERIFY(!QFile::exists(path));
}

void TestTimelineExport::slideShowsTheHeadlineAndTheCounters()
{
    // Sleeps of 100 µs in each of 500 increments: at least 50 ms a worker however busy the machine, so the
    // sampler's 10 ms ticks fall inside the run and every counter has a line to draw (a run of plain
    // increments could end inside one tick on a loaded machine, leaving each counter a single point).
    const TimelineData data = TimelineData::fromTrace(*test::runScenario(QStringLiteral("race-counter"),
        { QStringLiteral("workers=2"), QStringLiteral("increments=500"), QStringLiteral("lock=none"),
            QStringLiteral("slow_motion=100") })
                                                           .trace);
    QVERIFY(!data.counters.empty());
    ImageOptions options;
    options.headline = QStringLiteral("1 234 of 40 000 updates were lost (3.1%).");
    // The counters are tracks under the lanes, each with its line drawn.
    QImage image = renderTimeline(data, data.startNs, data.endNs, options);
    const auto layout = exportLayout(data, options);
    QCOMPARE(layout.counters.size(), std::min<std::size_t>(data.counters.size(), 3));
    QVERIFY(layout.counters.front().top() >= layout.lanes.back().bottom());
    QVERIFY(layout.counters.back().bottom() <= layout.axis.top());
    for (const QRectF& track : layout.counters) {
        int line = 0;
        const QRect r = track.toAlignedRect().intersected(image.rect());
        for (int y = r.top(); y <= r.bottom(); ++y)
            for (int x = r.left(); x <= r.right(); ++x)
                line += qRed(image.pixel(x, y)) > 0x90 && qGreen(image.pixel(x, y)) < 0x70
                    && qBlue(image.pixel(x, y)) < 0x70; // the line's red, antialiased or not
        QVERIFY2(line > 0, "a counter's track has no line");
    }
    // Headline and counter names as a reader of the PDF sees them.
    bool skip = false;
    const QString text = pdfText(data, options, &skip).simplified();
    if (skip)
        QSKIP("pdftotext (poppler-utils, installer/install-deps.sh) is not installed: cannot read the PDF back");
    QVERIFY2(text.contains(options.headline), qPrintable(text.left(400)));
    QVERIFY2(text.contains(data.counters.front().name), qPrintable(text.left(400)));
}

void TestTimelineExport::sizesAndHeadlinesAreParsed()
{
    QCOMPARE(parseImageSize(QStringLiteral("1280x720")), std::optional<QSize>(QSize(1280, 720)));
    for (const char* bad : { "1280", "1280x", "x720", "100x100", "99999x720", "1280x720x3", "wide" })
        QVERIFY2(!parseImageSize(QString::fromLatin1(bad)), bad);
    QCOMPARE(outcomeHeadline(QStringLiteral("<i>Stopped early.</i> <b>36 541 of 500 000 updates were lost "
                                            "(7.3%).</b> Two workers read the same value.")),
        QStringLiteral("36 541 of 500 000 updates were lost (7.3%)."));
    // The whole sentence around the bold phrase, and no more.
    QCOMPARE(outcomeHeadline(QStringLiteral("It started 3 children. Each gave <b>its parent's PID as 42</b>, "
                                            "ThreadLab's. One was killed.")),
        QStringLiteral("Each gave its parent's PID as 42, ThreadLab's."));
    QCOMPARE(outcomeHeadline(QStringLiteral("no bold sentence")), QString());
    // A table of figures before the sentence is no part of it (threads-vs-processes' cells ran together).
    QCOMPARE(outcomeHeadline(QStringLiteral("<table><tr><th>threads</th><td><b>12 µs</b></td></tr></table>A process "
                                            "costs <b>96× the start-up</b> of a thread. In return it is isolated.")),
        QStringLiteral("A process costs 96× the start-up of a thread."));
}

// Every state and the strip make a legend wider than a narrow window: it goes on in a second row (it was cut
// off at the right edge, "strip: lock still held / section still" at 1400 px), and the lanes start below it.
void TestTimelineExport::legendWrapsWhereTheWidthEnds()
{
    TimelineData data;
    data.title = QStringLiteral("every state");
    std::vector<Span> spans;
    for (int s = 0; s < kLaneStateCount; ++s)
        if (LaneState(s) != LaneState::NoData)
            spans.push_back({ s * 100, s * 100 + 100, 1, 0, LaneState(s) });
    spans.back().inside = LaneState::LockHeld;
    data.endNs = spans.back().end;
    data.lanes.emplace_back(QStringLiteral("worker-1"), QStringLiteral("ThreadLab"), std::move(spans));

    const QRectF wide(0, 0, 2400, 600), narrow(0, 0, 700, 600);
    const auto oneRow = TimelinePainter::layout(data, wide, {});
    const auto wrapped = TimelinePainter::layout(data, narrow, {});
    QCOMPARE(oneRow.legendEntries.size(), std::size_t(kLaneStateCount)); // all but "no data", and the strip
    QCOMPARE(wrapped.legendEntries.size(), oneRow.legendEntries.size());
    QVERIFY(wrapped.legend.height() >= 2 * oneRow.legend.height());
    for (const auto& e : wrapped.legendEntries) {
        QVERIFY2(wrapped.legend.contains(e.swatch), qPrintable(e.name));
        QVERIFY2(e.swatch.right() + 5 < narrow.right(), qPrintable(e.name));
    }
    QVERIFY(wrapped.lanes.front().top() >= wrapped.legend.bottom());
    QCOMPARE(wrapped.legendEntries.back().name, QStringLiteral("strip: lock still held / section still open"));
}

QTEST_MAIN(TestTimelineExport)
#include "tst_timelineexport.moc"
