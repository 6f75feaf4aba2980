#include "../support/lossfixture.h"

#include <models/timelinedata.h>
#include <timeline/timelineexport.h>
#include <trace/exporters.h>
#include <trace/perfetto.h>

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QGuiApplication>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <map>

using namespace tl;
using namespace tl::ui;

// Every export of one fixed recorded run, held to files written once (tests/fixtures/golden): moving the
// code that writes them must not change a byte. THREADLAB_UPDATE_GOLDEN=1 writes the files anew, for a change
// that means to alter an output (and the diff shows what it altered).
class TestGoldenExports : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void exportsAreUnchanged_data();
    void exportsAreUnchanged();
    void theSlideHatchesTheGapAndMarksTheDeath();
    void aChildsSlicesCarryItsOwnPid();

private:
    // The loss fixture (a gap, lost switch records), with a contended lock, a sleep, a phase, a counter and
    // a child process that was killed: every kind of thing an export writes.
    static Trace fixture();
    // `got` against `want`: a moved lane, a lost colour or a missing label changes thousands of pixels; an
    // antialiased edge rounded another way, a few.
    static void comparePixels(const QImage& got, const QImage& want, const QString& path);
    // The PDF's first page as poppler's pdftoppm draws it.
    static QImage pdfPage(const QByteArray& pdf);
    Trace m_trace;
};

Trace TestGoldenExports::fixture()
{
    using F = test::LossFixture;
    Trace t = F::trace();
    t.scenario = QStringLiteral("golden");
    t.params
        = { { QStringLiteral("workers"), QStringLiteral("3") }, { QStringLiteral("lock"), QStringLiteral("mutex") } };
    t.tickSource = QStringLiteral("fixture");
    t.workers.push_back({ QStringLiteral("child-0"), QStringLiteral("Child-0"), 5151, 5151 });
    t.lanes.resize(3);
    auto at
        = [](std::int64_t us, EventKind kind, std::int32_t value = 0, std::uint16_t lock = 0, std::uint8_t cpu = 0) {
              return Event { F::kStart + us * F::kUs, value, lock, cpu, kind };
          };
    for (const Event& e :
        { at(2, EventKind::Started), at(3, EventKind::SwitchIn, 0, 0, 1), at(12, EventKind::LockWait, 0, 1),
            at(101, EventKind::LockAcquired, 1, 1), at(120, EventKind::LockReleased, 0, 1), at(121, EventKind::Mark, 7),
            at(125, EventKind::Sleeping), at(150, EventKind::Running), at(160, EventKind::SwitchOut, 1, 0, 1),
            at(170, EventKind::SwitchIn, 0, 0, 0), at(180, EventKind::Exited, -9) })
        t.lanes[2].push_back(e);
    t.phases = { { F::kStart, F::kStart + 60 * F::kUs, QStringLiteral("start") },
        { F::kStart + 60 * F::kUs, F::kStart + 200 * F::kUs, QStringLiteral("work") } };
    t.counterNames = { QStringLiteral("counter") };
    for (std::int64_t us = 0; us <= 200; us += 20)
        t.counterSamples.push_back({ F::kStart + us * F::kUs, us * 3, 0 });
    return t;
}

void TestGoldenExports::comparePixels(const QImage& gotImage, const QImage& wantImage, const QString& path)
{
    const QImage got = gotImage.convertToFormat(QImage::Format_RGB32);
    const QImage want = wantImage.convertToFormat(QImage::Format_RGB32);
    QVERIFY2(!want.isNull(), qPrintable(path));
    QCOMPARE(got.size(), want.size());
    int differing = 0;
    for (int y = 0; y < got.height(); ++y)
        for (int x = 0; x < got.width(); ++x) {
            const QRgb a = got.pixel(x, y), b = want.pixel(x, y);
            const int channel = std::max(
                { std::abs(qRed(a) - qRed(b)), std::abs(qGreen(a) - qGreen(b)), std::abs(qBlue(a) - qBlue(b)) });
            differing += channel > 8;
        }
    QVERIFY2(differing <= got.width() * got.height() / 1000,
        qPrintable(QStringLiteral("%1 pixels differ from %2").arg(differing).arg(path)));
}

QImage TestGoldenExports::pdfPage(const QByteArray& pdf)
{
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("page.pdf")));
    if (!file.open(QIODevice::WriteOnly) || file.write(pdf) != pdf.size())
        return {};
    file.close();
    QProcess pdftoppm;
    pdftoppm.start(QStringLiteral("pdftoppm"),
        { QStringLiteral("-png"), QStringLiteral("-r"), QStringLiteral("60"), QStringLiteral("-singlefile"),
            file.fileName(), dir.filePath(QStringLiteral("page")) });
    if (!pdftoppm.waitForFinished(60'000) || pdftoppm.exitCode() != 0)
        return {};
    return QImage(dir.filePath(QStringLiteral("page.png")));
}

void TestGoldenExports::initTestCase()
{
    m_trace = fixture();
}

void TestGoldenExports::exportsAreUnchanged_data()
{
    QTest::addColumn<QString>("file");
    for (const char* file : { "fixture.json", "fixture.csv", "fixture-spans.csv", "fixture.perfetto-trace",
             "fixture.svg", "fixture.pdf", "fixture.png", "fixture-headline.png", "fixture-by-cpu.png" })
        QTest::newRow(file) << QString::fromLatin1(file);
}

void TestGoldenExports::exportsAreUnchanged()
{
    QFETCH(QString, file);
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    const TimelineData data = TimelineData::fromTrace(m_trace);
    const ImageOptions small { QSize(960, 540), QString() };
    bool written = false;
    if (file == u"fixture.json")
        written = writeChromeTrace(m_trace, out);
    else if (file == u"fixture.csv")
        written = writeCsv(m_trace, out);
    else if (file == u"fixture-spans.csv")
        written = writeSpansCsv(m_trace, out);
    else if (file == u"fixture.perfetto-trace")
        written = writePerfettoTrace(m_trace, out);
    else if (file == u"fixture.svg")
        written = exportTimeline(data, data.startNs, data.endNs, ImageFormat::Svg, out, small);
    else if (file == u"fixture.pdf")
        written = exportTimeline(data, data.startNs, data.endNs, ImageFormat::Pdf, out, small);
    else if (file == u"fixture.png")
        written = exportTimeline(data, data.startNs, data.endNs, ImageFormat::Png, out, small);
    else if (file == u"fixture-headline.png")
        written = exportTimeline(data, data.startNs, data.endNs, ImageFormat::Png, out,
            { QSize(1280, 720), QStringLiteral("2 of 3 workers lost data; child-0 was killed.") });
    else if (file == u"fixture-by-cpu.png") {
        const TimelineData cpus = data.byCpu();
        written = exportTimeline(cpus, cpus.startNs, cpus.endNs, ImageFormat::Png, out, small);
    }
    QVERIFY(written);
    QByteArray bytes = out.data();
    const QString path = QStringLiteral(THREADLAB_GOLDEN_DIR "/") + file;
    if (qEnvironmentVariableIsSet("THREADLAB_UPDATE_GOLDEN")) {
        QFile golden(path);
        QVERIFY(golden.open(QIODevice::WriteOnly));
        golden.write(bytes);
        return;
    }
    QFile golden(path);
    QVERIFY2(golden.open(QIODevice::ReadOnly), qPrintable(QStringLiteral("no golden file %1").arg(path)));
    const QByteArray expected = golden.readAll();
    if (file.endsWith(u".png")) {
        // Pixels, not bytes: Qt's raster engine picks SIMD paths by CPU, which may round an antialiased edge
        // differently on another machine.
        comparePixels(QImage::fromData(bytes), QImage::fromData(expected), path);
        return;
    }
    if (file.endsWith(u".pdf")) {
        // As a reader sees it: the bytes change from one writing to the next (the date, the fonts' subset
        // tags and their order), the pages do not.
        comparePixels(pdfPage(bytes), pdfPage(expected), path);
        return;
    }
    if (bytes != expected) {
        // Where they part, for the person reading the failure.
        qsizetype at = 0;
        while (at < bytes.size() && at < expected.size() && bytes[at] == expected[at])
            ++at;
        QFAIL(qPrintable(QStringLiteral("%1 differs from byte %2 (%3 bytes written, %4 expected): %5")
                             .arg(path)
                             .arg(at)
                             .arg(bytes.size())
                             .arg(expected.size())
                             .arg(QString::fromLatin1(
                                 bytes.mid(std::max<qsizetype>(0, at - 40), 80).toPercentEncoding(" /,:.=_-\"{}[]")))));
    }
}

int main(int argc, char** argv)
{
    QGuiApplication app(argc, argv);
    TestGoldenExports test;
    return QTest::qExec(&test, argc, argv);
}

// Not against the golden files but against the fixture's own times: worker-1 lost its events over
// [10, 100] µs, so that stretch of its lane is hatched (two tones in a pattern, not one state's flat colour);
// the child was killed at 180 µs, so its lane has the death bar's red at that time.
void TestGoldenExports::theSlideHatchesTheGapAndMarksTheDeath()
{
    using F = test::LossFixture;
    const TimelineData data = TimelineData::fromTrace(m_trace);
    const ImageOptions options { QSize(960, 540), QString() };
    const QImage image = renderTimeline(data, data.startNs, data.endNs, options).convertToFormat(QImage::Format_RGB32);
    const auto layout = exportLayout(data, options);
    const QRectF plot = layout.plot;
    const std::int64_t end = slideEnd(data, data.startNs, data.endNs, options); // room for the exit's label
    const auto xAt = [&](std::int64_t t) {
        return int(plot.left() + double(t - data.startNs) / double(end - data.startNs) * plot.width());
    };
    QCOMPARE(data.startNs, F::kStart);

    const QRectF lane = layout.lanes.at(0);
    std::map<QRgb, int> tones;
    for (int x = xAt(F::kLostFrom) + 3; x < xAt(F::kLostTo) - 3; ++x)
        for (int y = int(lane.top()) + 3; y < int(lane.bottom()) - 3; ++y)
            ++tones[image.pixel(x, y)];
    std::vector<int> counts;
    int all = 0;
    for (const auto& [tone, n] : tones) {
        counts.push_back(n);
        all += n;
    }
    std::sort(counts.rbegin(), counts.rend());
    QVERIFY2(counts.size() >= 2 && counts[1] * 10 >= all,
        qPrintable(QStringLiteral("the gap is one flat tone: %1 tones, %2 of %3 pixels in the second")
                       .arg(counts.size())
                       .arg(counts.size() >= 2 ? counts[1] : 0)
                       .arg(all)));

    const QRectF child = layout.lanes.at(2);
    int red = 0;
    const int death = xAt(F::kStart + 180 * F::kUs);
    for (int x = death - 3; x <= death + 3; ++x)
        for (int y = int(child.top()); y < int(child.bottom()); ++y)
            if (x >= 0 && x < image.width()) {
                const QRgb c = image.pixel(x, y);
                red += qRed(c) > 0xb0 && qGreen(c) < 0x50 && qBlue(c) < 0x50; // the death bar's #c62828
            }
    QVERIFY2(red >= int(child.height()) / 2, qPrintable(QStringLiteral("%1 death-red pixels").arg(red)));
}

// The child (pid 5151 in the fixture) is a process of its own in the Chrome JSON: its lane's slices and
// its thread's name carry its pid, not the parent's 4242.
void TestGoldenExports::aChildsSlicesCarryItsOwnPid()
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    QVERIFY(writeChromeTrace(m_trace, out));
    int childSlices = 0;
    for (const auto& v : QJsonDocument::fromJson(out.data()).object()[u"traceEvents"].toArray()) {
        const QJsonObject e = v.toObject();
        if (e[u"tid"].toInteger() == 5151) {
            QCOMPARE(e[u"pid"].toInteger(), 5151);
            childSlices += e[u"ph"].toString() == u"X";
        }
        if (e[u"tid"].toInteger() == 4243 || e[u"tid"].toInteger() == 4244)
            QCOMPARE(e[u"pid"].toInteger(), 4242);
    }
    QVERIFY(childSlices >= 3); // running, waiting for the lock, sleeping...
}

#include "tst_goldenexports.moc"
