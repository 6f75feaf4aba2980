#pragma once

#include <timeline/timelineexport.h>

#include <QProcess>
#include <QStandardPaths>
#include <QStringList>
#include <QTemporaryDir>

namespace tl::test {

// The text of `data` exported as PDF, read back by pdftotext (what a reader of the PDF sees; `pdftotextArgs`
// before the file, e.g. -layout); empty with `skip` set when pdftotext is not installed.
inline QString pdfText(
    const ui::TimelineData& data, const ui::ImageOptions& options, bool* skip, const QStringList& pdftotextArgs = {})
{
    const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
    *skip = pdftotext.isEmpty();
    if (*skip)
        return {};
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("timeline.pdf"));
    QString error;
    if (!ui::exportTimelineFile(data, data.startNs, data.endNs, ui::ImageFormat::Pdf, path, &error, options))
        return QStringLiteral("export failed: ") + error;
    QProcess reader;
    reader.start(pdftotext, pdftotextArgs + QStringList { path, QStringLiteral("-") });
    if (!reader.waitForFinished(60000) || reader.exitCode() != 0)
        return QStringLiteral("pdftotext failed");
    return QString::fromUtf8(reader.readAllStandardOutput());
}

} // namespace tl::test
