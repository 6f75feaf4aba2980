#include "timelineexport.h"

#include "timelinepainter.h"

#include <QFileInfo>
#include <QImage>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <trace/outputfile.h>

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

QSize defaultExportSize(const TimelineData& data)
{
    return { 1920, TimelinePainter::fittingHeight(data) };
}

QImage renderTimeline(const TimelineData& data, std::int64_t t0, std::int64_t t1, QSize size)
{
    QImage image(size, QImage::Format_RGB32);
    {
        QPainter p(&image); // ends before the image is handed out
        TimelinePainter::paint(p, QRectF(image.rect()), data, t0, t1);
    }
    return image;
}

bool exportTimeline(
    const TimelineData& data, std::int64_t t0, std::int64_t t1, ImageFormat format, QIODevice& out, QSize size)
{
    const QRectF target(QPointF(0, 0), QSizeF(size));
    const QString title = QStringLiteral("ThreadLab — %1").arg(data.title);
    switch (format) {
    case ImageFormat::Png:
        return renderTimeline(data, t0, t1, size).save(&out, "PNG");
    case ImageFormat::Svg: {
        QSvgGenerator svg;
        svg.setOutputDevice(&out);
        svg.setSize(size);
        svg.setResolution(96); // as PNG and PDF: a viewer then shows it at the PNG's size, not 1.33 times larger
        svg.setViewBox(target);
        svg.setTitle(title);
        svg.setDescription(data.subtitle);
        QPainter p;
        if (!p.begin(&svg))
            return false;
        TimelinePainter::paint(p, target, data, t0, t1);
        return p.end();
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
        TimelinePainter::paint(p, target, data, t0, t1);
        return p.end();
    }
    }
    return false;
}

bool exportTimelineFile(const TimelineData& data, std::int64_t t0, std::int64_t t1, ImageFormat format,
    const QString& path, QString* error, QSize size)
{
    return writeOutput(
        path, [&](QIODevice& out) { return exportTimeline(data, t0, t1, format, out, size); }, error);
}

} // namespace tl::ui
