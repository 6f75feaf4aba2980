#include "sidepanels.h"

#include <charts/counterchart.h>
#include <charts/resultchart.h>
#include <document/panelaction.h>
#include <document/rundocument.h>
#include <document/runexports.h>
#include <graph/waitforgraph.h>
#include <processes/processview.h>

#include <QFileDialog>
#include <QMessageBox>
#include <QVBoxLayout>

namespace tl::ui {

namespace {
// A panel shows one widget, edge to edge.
void fill(QWidget* panel, QWidget* content)
{
    auto* layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(content);
}
}

ProcessesPanel::ProcessesPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_view(new ProcessView)
{
    fill(this, m_view);
    hide(); // until a run has child processes
    connect(m_view, &ProcessView::killRequested, this, &ProcessesPanel::killRequested);
    auto show = [this](const std::vector<ProcessInfo>& processes) {
        setVisible(!processes.empty());
        m_view->update(processes);
    };
    connect(document, &RunDocument::started, this, [this] {
        m_view->clear();
        hide();
    });
    connect(
        document, &RunDocument::batchAppended, this, [show](const TraceBatchPtr& batch) { show(batch->processes); });
    connect(document, &RunDocument::finished, this, [show, document] { show(document->outcome().processes); });
}

WaitForPanel::WaitForPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_graph(new WaitForGraph)
{
    fill(this, m_graph);
    hide(); // until a run has two locks or more
    connect(document, &RunDocument::started, this, [this] {
        m_graph->clear();
        hide();
    });
    connect(document, &RunDocument::batchAppended, this, [this](const TraceBatchPtr& batch) {
        if (batch->lockNames.size() > 2) { // lock ids start at 1: two locks or more can deadlock
            show();
            m_graph->update(batch->workers, batch->lockNames, batch->locks);
        }
    });
}

CountersPanel::CountersPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_chart(new CounterChart)
{
    // Narrower than the results chart (a line needs no labels of its own): at 1024×700 the results beside it
    // get the ~430 px their tables need with words whole.
    m_chart->setMinimumWidth(260);
    fill(this, m_chart);
    hide(); // until a run publishes counters
    auto update = [this, document] {
        setVisible(!document->counters().empty());
        m_chart->update(document->counters(), document->timeline().zeroNs);
    };
    connect(document, &RunDocument::started, m_chart, &CounterChart::clear);
    connect(document, &RunDocument::batchAppended, this, update);
    connect(document, &RunDocument::finished, this, update);
}

ResultChartPanel::ResultChartPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_document(document)
    , m_chart(new ResultChart)
{
    fill(this, m_chart); // at least 320 px wide, more when its labels need it
    hide(); // until a run's results describe a chart
    m_export = panelAction(this, QStringLiteral("document-save-as"), tr("Export &Chart…"),
        QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_E),
        tr("Save the results chart (speed-ups, throughput…) as PNG or SVG"));
    m_export->setEnabled(false);
    connect(m_export, &QAction::triggered, this, &ResultChartPanel::exportChart);
    connect(document, &RunDocument::started, this, &QWidget::hide);
    connect(document, &RunDocument::finished, this, [this] {
        const bool shown = m_chart->show(m_document->chartSpec());
        setVisible(shown);
        m_export->setEnabled(shown);
    });
}

void ResultChartPanel::exportChart()
{
    const QJsonObject& spec = m_document->chartSpec();
    if (spec.isEmpty())
        return;
    const QString suggested = exportFolder() + u'/' + m_document->title() + QStringLiteral(" chart.png");
    const QString path = QFileDialog::getSaveFileName(
        window(), tr("Export Chart"), suggested, tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty())
        return;
    rememberExportFolder(path);
    QString error;
    if (!exportChartFile(spec, path, &error))
        QMessageBox::warning(window(), tr("Export failed"), error);
    else
        emit message(tr("Saved %1").arg(path), 5000);
}

} // namespace tl::ui
