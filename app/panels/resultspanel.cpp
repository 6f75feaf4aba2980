#include "resultspanel.h"

#include <document/resultshtml.h>
#include <document/rundocument.h>
#include <trace/csv.h>
#include <trace/outputfile.h>

#include <QAction>
#include <QContextMenuEvent>
#include <QFileDialog>
#include <QJsonArray>
#include <QMenu>
#include <QMessageBox>

namespace tl::ui {

ResultsPanel::ResultsPanel(RunDocument* document, QWidget* parent)
    : QTextBrowser(parent)
    , m_document(document)
    , m_exportWorkers(new QAction(tr("Export Per-Worker Table as &CSV…"), this))
{
    setAccessibleName(tr("Results"));
    setOpenLinks(false);
    setPlaceholderText(tr("Results appear here while and after a scenario runs."));
    // Words stay whole: a narrow panel scrolls sideways rather than print a header as "succe eded".
    setWordWrapMode(QTextOption::WordWrap);
    m_exportWorkers->setStatusTip(tr("Save each worker's figures (the table under \"Per worker\") as a CSV file"));
    m_exportWorkers->setToolTip(m_exportWorkers->statusTip());
    m_exportWorkers->setEnabled(false);
    connect(m_exportWorkers, &QAction::triggered, this, &ResultsPanel::chooseWorkersCsv);
    connect(this, &QTextBrowser::anchorClicked, this, &ResultsPanel::momentClicked);
    connect(document, &RunDocument::started, this, [this] {
        clear();
        m_exportWorkers->setEnabled(false);
    });
    connect(document, &RunDocument::batchAppended, this, [this, document](const TraceBatchPtr& batch) {
        setHtml(resultsHtml(liveResultsPage(batch->liveResults, document->counters(), document->resultOrder())));
    });
    connect(document, &RunDocument::finished, this, [this, document] {
        setHtml(resultsHtml(finishedResultsPage(
            document->outcome(), document->summary(), document->account(), document->resultOrder())));
        m_exportWorkers->setEnabled(!document->summary().value(u"workers").toArray().isEmpty());
    });
}

bool ResultsPanel::exportWorkersCsv(const QString& path, QString* error) const
{
    const WorkerFigures table
        = workerFigures(m_document->summary().value(u"workers").toArray(), m_document->resultOrder());
    if (table.rows.empty()) {
        *error = tr("no run with per-worker figures has ended");
        return false;
    }
    return writeOutput(
        path, [&](QIODevice& out) { return writeCsvTable(table.header, table.rows, out); }, error);
}

void ResultsPanel::chooseWorkersCsv()
{
    const QString scenario = m_document->summary().value(u"scenario").toString();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Per-Worker Table"),
        QStringLiteral("%1-workers.csv").arg(scenario.isEmpty() ? QStringLiteral("run") : scenario),
        tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    QString error;
    if (!exportWorkersCsv(path, &error))
        QMessageBox::warning(this, tr("Export failed"), error);
}

void ResultsPanel::contextMenuEvent(QContextMenuEvent* e)
{
    QMenu* menu = createStandardContextMenu(e->pos());
    menu->addSeparator();
    menu->addAction(m_exportWorkers);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(e->globalPos());
}

} // namespace tl::ui
