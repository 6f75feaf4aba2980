#include "timelineexport.h"

#include "timelinepainter.h"

#include <QBuffer>
#include <QFileInfo>
#include <QImage>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSvgGenerator>
#include <models/pngoutput.h>
#include <trace/outputfile.h>

using namespace Qt::StringLiterals;

namespace tl::ui {

std::optional<ImageFormat> imageFormatFromSuffix(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == u"png")
        return ImageFormat::Png;
    if (suffix == u"svg")
        return ImageFormat::Svg;
    if (suffix == u"pdf")
        return ImageFormat::Pdf;
    return std::nullopt;
}

std::optional<QSize> parseImageSize(const QString& text)
{
    const QStringList parts = text.split(u'x');
    if (parts.size() != 2)
        return std::nullopt;
    bool wOk = false, hOk = false;
    const QSize size(parts[0].toInt(&wOk), parts[1].toInt(&hOk));
    const QSize lo = ImageOptions::kMinSize, hi = ImageOptions::kMaxSize;
    if (!wOk || !hOk || size.width() < lo.width() || size.width() > hi.width() || size.height() < lo.height()
        || size.height() > hi.height())
        return std::nullopt;
    return size;
}

QString plainText(const QString& html)
{
    // By hand: QTextDocument and simplified() both turn a number's narrow no-break space ("100 000") into a
    // plain one, and a script would read two numbers. The account's HTML is ours: a few tags and Qt's escapes.
    static const QRegularExpression block(QStringLiteral("<(br|/?(table|tr|td|th|p|li|ul|ol|div))\\b[^>]*>"));
    static const QRegularExpression tag(QStringLiteral("<[^>]*>"));
    static const QRegularExpression spaces(QStringLiteral("[ \\t\\r\\n]+"));
    QString text = html;
    text.replace(block, QStringLiteral(" ")).remove(tag);
    text.replace(u"&lt;"_s, u"<"_s)
        .replace(u"&gt;"_s, u">"_s)
        .replace(u"&quot;"_s, u"\""_s)
        .replace(u"&#39;"_s, u"'"_s);
    text.replace(u"&nbsp;"_s, u"\u00a0"_s).replace(u"&amp;"_s, u"&"_s);
    return text.replace(spaces, QStringLiteral(" ")).trimmed();
}

QString outcomeHeadline(const QString& accountHtml)
{
    // The account bolds its key figure: the headline is the sentence around the first bold phrase.
    constexpr QChar kMark = u'\x01';
    // A table in the account (threads-vs-processes' figures) is no sentence: its cells would run together.
    static const QRegularExpression table(QStringLiteral("<table\\b.*</table>"),
        QRegularExpression::DotMatchesEverythingOption | QRegularExpression::InvertedGreedinessOption);
    QString text = accountHtml;
    text.remove(table);
    const qsizetype bold = text.indexOf(u"<b>");
    if (bold < 0)
        return {};
    text.insert(bold, kMark);
    text = plainText(text);
    const qsizetype at = text.indexOf(kMark);
    const qsizetype before = text.lastIndexOf(u". "_s, at);
    const qsizetype from = before < 0 ? 0 : before + 2;
    const qsizetype after = text.indexOf(u". "_s, at);
    QString sentence = text.mid(from, after < 0 ? -1 : after + 1 - from);
    sentence.remove(kMark);
    // Whole, however long: a slide wraps it (an ellipsis lost ipc-throughput's result, "…; at 1…").
    return sentence.simplified();
}

QString runHeadline(const RunOutcome& outcome, const QString& accountHtml)
{
    return outcome.status == RunOutcome::Status::Failed ? QStringLiteral("The run failed: %1").arg(outcome.error)
                                                        : outcomeHeadline(accountHtml);
}

namespace {
// Paints at a logical width of kLogicalWidth scaled up to the target, so a 1920-wide slide gets text 1.6
// times the screen's (the axis's 11 px become 17.6) and every format lays out alike.
constexpr double kLogicalWidth = 1200;

double slideScale(const QSize& size)
{
    return std::max(1.0, double(size.width()) / kLogicalWidth);
}

TimelinePainter::Options slideOptions(const ImageOptions& options)
{
    TimelinePainter::Options painter;
    painter.slide = true;
    painter.headline = options.headline;
    return painter;
}

QRectF logicalTarget(const QSize& size)
{
    const double scale = slideScale(size);
    return QRectF(0, 0, double(size.width()) / scale, double(size.height()) / scale);
}

void paintSlide(QPainter& p, const QSize& size, const TimelineData& data, std::int64_t t0, std::int64_t t1,
    const ImageOptions& options)
{
    p.scale(slideScale(size), slideScale(size));
    TimelinePainter::paint(p, logicalTarget(size), data, t0, slideEnd(data, t0, t1, options), slideOptions(options));
}
}

double exportScale(const QSize& size)
{
    return slideScale(size);
}

std::int64_t slideEnd(const TimelineData& data, std::int64_t t0, std::int64_t t1, const ImageOptions& options)
{
    std::int64_t lastExit = INT64_MIN;
    for (const TimelineLane& lane : data.lanes)
        for (const LaneMark& m : lane.marks)
            if (m.kind == EventKind::Exited && m.time >= t0 && m.time <= t1)
                lastExit = std::max(lastExit, m.time);
    if (lastExit == INT64_MIN || t1 <= t0)
        return t1;
    // Room for the longest exit label at the slide's font ("✕ killed by SIGKILL (9)"), in logical pixels.
    constexpr double kLabelRoom = 170;
    const double width = TimelinePainter::layout(data, logicalTarget(options.size), slideOptions(options)).plot.width();
    const double f = std::min(kLabelRoom / std::max(width, 1.0), 0.5);
    // The end at which lastExit stands kLabelRoom pixels left of the plot's right edge.
    const auto needed = std::int64_t(std::ceil((double(lastExit) - f * double(t0)) / (1 - f)));
    return std::max(t1, needed);
}

TimelinePainter::Layout exportLayout(const TimelineData& data, const ImageOptions& options)
{
    return exportLayout(data, data.startNs, data.endNs, options);
}

TimelinePainter::Layout exportLayout(
    const TimelineData& data, std::int64_t t0, std::int64_t t1, const ImageOptions& options)
{
    TimelinePainter::Options painter = slideOptions(options);
    painter.t0 = t0;
    painter.t1 = slideEnd(data, t0, t1, options);
    TimelinePainter::Layout l = TimelinePainter::layout(data, logicalTarget(options.size), painter);
    // (The plot's rect does not depend on the range drawn, so slideEnd() may use it too.)
    const double s = slideScale(options.size);
    auto scaled = [s](QRectF& r) { r = QRectF(r.topLeft() * s, r.size() * s); };
    for (QRectF* r : { &l.header, &l.legend, &l.phases, &l.labels, &l.plot, &l.axis, &l.footnote })
        scaled(*r);
    for (auto* texts : { &l.phaseLabels, &l.exitLabels, &l.counterValues })
        for (TimelinePainter::PlacedText& t : *texts) {
            scaled(t.rect);
            t.anchorX *= s;
        }
    for (auto* list : { &l.lanes, &l.counters })
        for (QRectF& r : *list)
            scaled(r);
    for (auto& group : l.groups)
        group.second *= s;
    for (auto& entry : l.legendEntries)
        scaled(entry.swatch);
    l.laneHeight *= s;
    return l;
}

QImage renderTimeline(const TimelineData& data, std::int64_t t0, std::int64_t t1, const ImageOptions& options)
{
    QImage image(options.size, QImage::Format_RGB32);
    {
        QPainter p(&image); // ends before the image is handed out
        paintSlide(p, options.size, data, t0, t1, options);
    }
    return image;
}

bool exportTimeline(const TimelineData& data, std::int64_t t0, std::int64_t t1, ImageFormat format, QIODevice& out,
    const ImageOptions& options)
{
    const QSize size = options.size;
    const QRectF target(QPointF(0, 0), QSizeF(size));
    const QString title = QStringLiteral("ThreadLab — %1").arg(data.title);
    switch (format) {
    case ImageFormat::Png:
        return writePng(renderTimeline(data, t0, t1, options), out);
    case ImageFormat::Svg: {
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QSvgGenerator svg;
        svg.setOutputDevice(&buffer);
        svg.setSize(size);
        svg.setResolution(96); // as PNG and PDF: a viewer then shows it at the PNG's size, not 1.33 times larger
        svg.setViewBox(target);
        svg.setTitle(title);
        svg.setDescription(options.headline.isEmpty() ? data.subtitle : options.headline);
        QPainter p;
        if (!p.begin(&svg))
            return false;
        paintSlide(p, size, data, t0, t1, options);
        if (!p.end())
            return false;
        // Qt 6.4 declares SVG Tiny 1.2, which has no <pattern> (the hatched gaps use one), and names Qt's
        // default family "Sans Serif", which browsers do not know: say SVG 1.1 and CSS's generic sans-serif.
        QByteArray bytes = buffer.data();
        bytes.replace(R"( version="1.2" baseProfile="tiny")", R"( version="1.1")");
        bytes.replace(R"(font-family="Sans Serif")", R"(font-family="sans-serif")");
        return out.write(bytes) == bytes.size();
    }
    case ImageFormat::Pdf: {
        QPdfWriter pdf(&out);
        pdf.setTitle(title);
        pdf.setCreator(QStringLiteral("ThreadLab"));
        pdf.setResolution(96);
        pdf.setPageSize(QPageSize(QSizeF(size) * 25.4 / 96.0, QPageSize::Millimeter));
        pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
        QPainter p;
        if (!p.begin(&pdf))
            return false;
        // Map our pixel layout onto the page whatever rounding the page size went through.
        const QRect page = p.viewport();
        p.scale(page.width() / target.width(), page.height() / target.height());
        paintSlide(p, size, data, t0, t1, options);
        return p.end();
    }
    }
    return false;
}

bool exportTimelineFile(const TimelineData& data, std::int64_t t0, std::int64_t t1, ImageFormat format,
    const QString& path, QString* error, const ImageOptions& options)
{
    return writeOutput(
        path, [&](QIODevice& out) { return exportTimeline(data, t0, t1, format, out, options); }, error);
}

} // namespace tl::ui
