#include "runexports.h"

#include <document/panelaction.h>
#include <document/rundocument.h>
#include <timeline/timelineexport.h>
#include <timeline/timelineview.h>
#include <trace/exporters.h>

#include <QApplication>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSettings>
#include <QStandardPaths>

namespace tl::ui {

QString exportFolder()
{
    return QSettings()
        .value(QStringLiteral("exportFolder"), QStandardPaths::writableLocation(QStandardPaths::PicturesLocation))
        .toString();
}

void rememberExportFolder(const QString& path)
{
    QSettings().setValue(QStringLiteral("exportFolder"), QFileInfo(path).absolutePath());
}

RunExports::RunExports(RunDocument* document, TimelineView* timeline, QWidget* window)
    : m_document(document)
    , m_timeline(timeline)
    , m_window(window)
{
    m_exportVisible = panelAction(this, QStringLiteral("document-save-as"), tr("Export &Visible Range…"),
        QKeySequence(Qt::CTRL | Qt::Key_E), tr("Save the visible part of the timeline as PNG, SVG or PDF"));
    connect(m_exportVisible, &QAction::triggered, this, [this] { exportImage(Scope::VisibleRange); });
    m_exportWhole = panelAction(this, QStringLiteral("document-save-as"), tr("Export &Whole Run…"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), tr("Save the timeline of the whole run as PNG, SVG or PDF"));
    connect(m_exportWhole, &QAction::triggered, this, [this] { exportImage(Scope::WholeRun); });
    m_exportTrace = panelAction(this, QStringLiteral("document-export"), tr("Export &Trace…"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
        tr("Save the run's events as Chrome Trace JSON, a Perfetto trace or CSV"));
    connect(m_exportTrace, &QAction::triggered, this, &RunExports::exportTrace);
    m_copyImage = panelAction(this, QStringLiteral("edit-copy"), tr("&Copy Timeline Image"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C),
        tr("Copy the visible timeline, with legend and axis, to the clipboard"));
    connect(m_copyImage, &QAction::triggered, this, &RunExports::copyImage);
    connect(document, &RunDocument::started, this, &RunExports::enableForFinishedRun);
    connect(document, &RunDocument::finished, this, &RunExports::enableForFinishedRun);
    enableForFinishedRun();
}

void RunExports::enableForFinishedRun()
{
    const bool enabled = !m_document->isLive() && m_document->hasTrace();
    for (auto* a : { m_exportVisible, m_exportWhole, m_exportTrace, m_copyImage })
        a->setEnabled(enabled);
}

void RunExports::exportImageTo(const QString& path, Scope scope, std::function<void(const QString&)> done)
{
    // The snapshot keeps this run's timeline alive even if a new run starts while the export is going.
    const auto data = m_document->shownTimeline();
    const std::int64_t t0 = scope == Scope::WholeRun ? data->startNs : m_timeline->visibleStart();
    const std::int64_t t1 = scope == Scope::WholeRun ? data->endNs : m_timeline->visibleEnd();
    const auto format = imageFormatFromSuffix(path).value_or(ImageFormat::Png);
    // The whole run is a 1080p slide; the visible range is what the window shows, at its size.
    const ImageOptions options { scope == Scope::WholeRun ? QSize(1920, 1080) : visibleImageSize(),
        m_document->headline() };
    m_jobs.run(
        [data, t0, t1, format, path, options] {
            QString error;
            exportTimelineFile(*data, t0, t1, format, path, &error, options);
            return error;
        },
        std::move(done));
}

void RunExports::exportImage(Scope scope)
{
    if (!m_document->hasTrace())
        return;
    const QString suggested = exportFolder() + u'/' + m_document->title() + QStringLiteral(".png");
    const QString path = QFileDialog::getSaveFileName(m_window,
        scope == Scope::WholeRun ? tr("Export Whole Run") : tr("Export Visible Range"), suggested,
        tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
    if (path.isEmpty())
        return;
    rememberExportFolder(path);
    exportImageTo(path, scope, reportWhenWritten(path));
}

void RunExports::exportTrace()
{
    if (!m_document->hasTrace())
        return;
    const QString suggested = exportFolder() + u'/' + m_document->title() + QStringLiteral(".json");
    const QString path = QFileDialog::getSaveFileName(m_window, tr("Export Trace"), suggested,
        tr("Chrome Trace JSON (*.json);;Perfetto trace (*.pftrace);;CSV, one row per event (*.csv);;CSV, one row "
           "per span (*.spans.csv)"));
    if (path.isEmpty())
        return;
    rememberExportFolder(path);
    auto endsWith = [&](QStringView ending) { return path.endsWith(ending, Qt::CaseInsensitive); };
    const TraceFormat format = endsWith(u".spans.csv") ? TraceFormat::SpansCsv
        : endsWith(u".csv")                            ? TraceFormat::Csv
        : endsWith(u".pftrace")                        ? TraceFormat::Perfetto
                                                       : TraceFormat::ChromeJson;
    m_jobs.run(
        [trace = m_document->trace(), path, format] {
            QString error;
            writeTraceFile(*trace, format, path, &error);
            return error;
        },
        reportWhenWritten(path));
}

void RunExports::copyImage()
{
    const TimelineData& data = *m_document->shownTimeline();
    QApplication::clipboard()->setImage(renderTimeline(
        data, m_timeline->visibleStart(), m_timeline->visibleEnd(), { visibleImageSize(), m_document->headline() }));
    emit message(tr("Timeline image copied to the clipboard"), 3000);
}

QSize RunExports::visibleImageSize() const
{
    return m_timeline->size().expandedTo(ImageOptions::kMinSize).boundedTo(ImageOptions::kMaxSize);
}

std::function<void(const QString&)> RunExports::reportWhenWritten(const QString& path)
{
    // Shown only if the work takes longer than 300 ms; the window stays responsive either way.
    auto* progress = new QProgressDialog(tr("Writing %1…").arg(QFileInfo(path).fileName()), QString(), 0, 0, m_window);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(300);
    return [this, progress, path](const QString& error) {
        // Deleted now, with its show timer: the message box's own event loop would otherwise still show it
        // after 300 ms, on top of the message (a deferred delete waits for that loop to end).
        delete progress;
        if (!error.isEmpty())
            QMessageBox::warning(m_window, tr("Export failed"), error);
        else
            emit message(tr("Saved %1").arg(path), 5000);
    };
}

} // namespace tl::ui
