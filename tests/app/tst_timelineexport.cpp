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

private:
    static int colouredPixels(const QImage& image, const QRectF& area);
    static TimelineData syntheticTimeline(int lanes, int spansPerLane);
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
    const QSize size = defaultExportSize(m_data);
    QVERIFY(exportTimeline(m_data, m_data.startNs, m_data.endNs, ImageFormat::Png, buffer, size));
    QImage image;
    QVERIFY(image.loadFromData(buffer.data(), "PNG"));
    QCOMPARE(image.size(), size);

    const auto layout = TimelinePainter::layout(m_data, QRectF(QPointF(), QSizeF(size)), {});
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
    // lost).
    const auto present = m_data.statesPresent();
    QVERIFY(present[std::size_t(LaneState::LockWait)] && !present[std::size_t(LaneState::NoData)]);
    for (int s = 0; s < kLaneStateCount; ++s) {
        if (LaneState(s) == LaneState::NoData)
            continue;
        bool found = false;
        const QRect legend = layout.legend.toAlignedRect();
        for (int x = legend.left(); x < legend.right() && !found; ++x)
            found = image.pixel(x, int(legend.center().y())) == stateColor(LaneState(s)).rgb();
        QVERIFY2(found == present[std::size_t(s)], qPrintable(laneStateName(LaneState(s))));
    }
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

void TestTimelineExport::pdfShowsTheLanesAndTheLegend()
{
    const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
    if (pdftotext.isEmpty())
        QSKIP("pdftotext (poppler-utils, installer/install-deps.sh) is not installed: cannot read the PDF back");
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("timeline.pdf"));
    QString error;
    QVERIFY2(
        exportTimelineFile(m_data, m_data.startNs, m_data.endNs, ImageFormat::Pdf, path, &error), qPrintable(error));
    // Rendered back by another program: its text is what a reader of the PDF sees.
    QProcess reader;
    reader.start(pdftotext, { QStringLiteral("-layout"), path, QStringLiteral("-") });
    QVERIFY2(reader.waitForFinished(60000), "pdftotext did not finish within 60 s");
    QCOMPARE(reader.exitCode(), 0);
    const QString text = QString::fromUtf8(reader.readAllStandardOutput());
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

QTEST_MAIN(TestTimelineExport)
#include "tst_timelineexport.moc"
