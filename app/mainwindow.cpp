#include "mainwindow.h"

#include "parameterform.h"

#include <scenarios/registry.h>
#include <timeline/timelineexport.h>
#include <timeline/timelineview.h>
#include <trace/exporters.h>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSaveFile>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTextBrowser>
#include <QToolBar>
#include <QVBoxLayout>

namespace tl::ui {

namespace {
QString settingsKey(const QString& scenario, const QString& param)
{
    return QStringLiteral("params/%1/%2").arg(scenario, param);
}
}

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_catalog(scenarioCatalog())
{
    setWindowTitle(tr("ThreadLab"));
    buildActions();
    buildLayout();

    connect(&m_controller, &RunController::batchReady, this, &MainWindow::onBatch);
    connect(&m_controller, &RunController::finished, this, &MainWindow::onFinished);
    connect(m_form, &ParameterForm::liveChanged, this, [this](const QString& name, std::int64_t value) {
        QString error;
        if (!m_controller.setLive(name, value, &error))
            statusBar()->showMessage(error, 5000);
    });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    m_mainSplitter->restoreState(settings.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_rightSplitter->restoreState(settings.value(QStringLiteral("window/rightSplitter")).toByteArray());
    if (!selectScenario(settings.value(QStringLiteral("lastScenario")).toString()))
        m_scenarios->setCurrentRow(0);
    setRunning(false);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildActions()
{
    m_runAction = new QAction(QIcon::fromTheme(QStringLiteral("media-playback-start")), tr("&Run"), this);
    m_runAction->setShortcut(Qt::Key_F5);
    m_runAction->setToolTip(tr("Run the scenario with these parameters (F5)"));
    connect(m_runAction, &QAction::triggered, this, &MainWindow::startRun);

    m_stopAction = new QAction(QIcon::fromTheme(QStringLiteral("media-playback-stop")), tr("&Stop"), this);
    m_stopAction->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
    m_stopAction->setToolTip(tr("Stop the run; every thread it started is released (Shift+F5)"));
    connect(m_stopAction, &QAction::triggered, this, &MainWindow::stopRun);

    auto* fit = new QAction(QIcon::fromTheme(QStringLiteral("zoom-fit-best")), tr("&Fit Whole Run"), this);
    fit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    fit->setToolTip(tr("Show the whole run and follow it live (Ctrl+0, or double-click the timeline)"));
    auto* zoomIn = new QAction(QIcon::fromTheme(QStringLiteral("zoom-in")), tr("Zoom &In"), this);
    zoomIn->setShortcut(QKeySequence::ZoomIn);
    auto* zoomOut = new QAction(QIcon::fromTheme(QStringLiteral("zoom-out")), tr("Zoom &Out"), this);
    zoomOut->setShortcut(QKeySequence::ZoomOut);

    m_exportImageAction = new QAction(QIcon::fromTheme(QStringLiteral("document-save-as")), tr("Export &Image…"), this);
    m_exportImageAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportImageAction->setToolTip(tr("Save the visible part of the timeline as PNG, SVG or PDF (Ctrl+E)"));
    connect(m_exportImageAction, &QAction::triggered, this, &MainWindow::exportImage);
    m_exportTraceAction = new QAction(tr("Export &Trace…"), this);
    m_exportTraceAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E));
    m_exportTraceAction->setToolTip(tr("Save the run's events as Chrome Trace JSON (Perfetto) or CSV"));
    connect(m_exportTraceAction, &QAction::triggered, this, &MainWindow::exportTrace);
    auto* quit = new QAction(tr("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    auto* file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_exportImageAction);
    file->addAction(m_exportTraceAction);
    file->addSeparator();
    file->addAction(quit);
    auto* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(m_runAction);
    run->addAction(m_stopAction);
    auto* view = menuBar()->addMenu(tr("&View"));
    view->addAction(fit);
    view->addAction(zoomIn);
    view->addAction(zoomOut);
    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About ThreadLab"), this, [this] {
        QMessageBox::about(this, tr("About ThreadLab"),
            tr("<h3>ThreadLab %1</h3><p>See threads and processes at work.</p><p>Built with Qt %2.</p>")
                .arg(QApplication::applicationVersion(), QString::fromLatin1(qVersion())));
    });

    auto* tools = addToolBar(tr("Run"));
    tools->setObjectName(QStringLiteral("runToolBar"));
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->addAction(m_runAction);
    tools->addAction(m_stopAction);
    tools->addSeparator();
    tools->addAction(fit);
    tools->addAction(m_exportImageAction);

    // The timeline exists only after buildLayout(); connect view actions through lambdas.
    connect(fit, &QAction::triggered, this, [this] { m_timeline->fitAll(); });
    connect(zoomIn, &QAction::triggered, this, [this] { m_timeline->zoomIn(); });
    connect(zoomOut, &QAction::triggered, this, [this] { m_timeline->zoomOut(); });
}

void MainWindow::buildLayout()
{
    m_scenarios = new QListWidget;
    m_scenarios->setAccessibleName(tr("Scenarios"));
    for (const auto& info : m_catalog) {
        auto* item = new QListWidgetItem(info.title);
        item->setToolTip(QStringLiteral("%1\nFrom the seed: %2\nCommand line: threadlab run %3")
                             .arg(info.summary, info.topic, info.name));
        item->setSizeHint(QSize(0, 28));
        item->setData(Qt::UserRole, info.name);
        m_scenarios->addItem(item);
    }
    connect(m_scenarios, &QListWidget::currentRowChanged, this, &MainWindow::onScenarioChanged);

    m_summary = new QLabel;
    m_summary->setWordWrap(true);
    m_summary->setAccessibleName(tr("Scenario description"));
    m_form = new ParameterForm;
    m_form->setAccessibleName(tr("Parameters"));

    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->addWidget(new QLabel(tr("<b>Scenarios</b>")));
    m_scenarios->setMaximumHeight(28 * 8 + 6);
    leftLayout->addWidget(m_scenarios);
    leftLayout->addWidget(m_summary);
    leftLayout->addWidget(new QLabel(tr("<b>Parameters</b> (⟳ = may change while running)")));
    leftLayout->addWidget(m_form);
    leftLayout->addStretch(1);

    m_timeline = new TimelineView;
    m_timeline->setData(&m_live.data());
    m_results = new QTextBrowser;
    m_results->setAccessibleName(tr("Results"));
    m_results->setPlaceholderText(tr("Results appear here while and after a scenario runs."));

    m_rightSplitter = new QSplitter(Qt::Vertical);
    m_rightSplitter->addWidget(m_timeline);
    m_rightSplitter->addWidget(m_results);
    m_rightSplitter->setStretchFactor(0, 3);
    m_rightSplitter->setStretchFactor(1, 1);

    m_mainSplitter = new QSplitter(Qt::Horizontal);
    m_mainSplitter->addWidget(left);
    m_mainSplitter->addWidget(m_rightSplitter);
    m_mainSplitter->setStretchFactor(1, 1);
    m_mainSplitter->setSizes({ 300, 1000 });
    setCentralWidget(m_mainSplitter);

    m_statusState = new QLabel(tr("Ready"));
    m_statusEvents = new QLabel;
    m_progress = new QProgressBar;
    m_progress->setRange(0, 0);
    m_progress->setMaximumWidth(120);
    m_progress->setAccessibleName(tr("Run in progress"));
    statusBar()->addWidget(m_statusState);
    statusBar()->addPermanentWidget(m_statusEvents);
    statusBar()->addPermanentWidget(m_progress);
    resize(1280, 800);
}

bool MainWindow::selectScenario(const QString& name)
{
    for (int i = 0; i < m_scenarios->count(); ++i) {
        if (m_scenarios->item(i)->data(Qt::UserRole).toString() == name) {
            m_scenarios->setCurrentRow(i);
            return true;
        }
    }
    return false;
}

void MainWindow::onScenarioChanged()
{
    const int row = m_scenarios->currentRow();
    if (row < 0 || row >= int(m_catalog.size()))
        return;
    const ScenarioInfo& info = m_catalog[std::size_t(row)];
    m_summary->setText(
        QStringLiteral("%1<br><i>From the seed: %2</i>").arg(info.summary.toHtmlEscaped(), info.topic.toHtmlEscaped()));
    ParamSet params(info.params);
    QSettings settings;
    for (const auto& spec : info.params) {
        const QVariant saved = settings.value(settingsKey(info.name, spec.name));
        if (saved.isValid())
            params.set(spec.name, saved.toString(), nullptr); // a stale or invalid value keeps the default
    }
    m_form->setParams(params);
    settings.setValue(QStringLiteral("lastScenario"), info.name);
}

void MainWindow::saveParams()
{
    QSettings settings;
    const ParamSet& params = m_form->params();
    const QString scenario = m_scenarios->currentItem()->data(Qt::UserRole).toString();
    for (const auto& [name, value] : params.asText())
        settings.setValue(settingsKey(scenario, name), value);
}

void MainWindow::startRun()
{
    if (m_controller.isRunning() || !m_scenarios->currentItem())
        return;
    const QString scenario = m_scenarios->currentItem()->data(Qt::UserRole).toString();
    saveParams();
    QString error;
    if (!m_controller.start(scenario, m_form->params(), &error)) {
        QMessageBox::warning(this, tr("Cannot run"), error);
        return;
    }
    QStringList params;
    for (const auto& [name, value] : m_form->params().asText())
        params << name + u'=' + value;
    m_live.reset(scenario, params.join(u", "));
    m_timeline->setFollowing(true);
    m_timeline->setData(&m_live.data());
    m_results->clear();
    m_elapsed.start();
    setRunning(true);
}

void MainWindow::stopRun()
{
    m_controller.stop();
    m_statusState->setText(tr("Stopping…"));
}

void MainWindow::setRunning(bool running)
{
    m_runAction->setEnabled(!running);
    m_stopAction->setEnabled(running);
    m_scenarios->setEnabled(!running);
    m_form->setRunning(running);
    m_progress->setVisible(running);
    m_exportImageAction->setEnabled(!running && m_lastTrace);
    m_exportTraceAction->setEnabled(!running && m_lastTrace);
}

void MainWindow::updateStatus(std::uint64_t events, std::uint64_t dropped)
{
    QString text = tr("%L1 events recorded").arg(events);
    if (dropped > 0)
        text += tr(", <span style='color:#c62828'>%L1 dropped</span>").arg(dropped);
    m_statusEvents->setText(text);
}

void MainWindow::onBatch(const TraceBatchPtr& batch)
{
    m_live.append(*batch);
    m_timeline->dataChanged();
    m_statusState->setText(
        tr("Running %1 — %2 s").arg(m_live.data().title).arg(m_elapsed.elapsed() / 1000.0, 0, 'f', 1));
    updateStatus(batch->totalEvents, batch->droppedEvents);

    QJsonObject live = batch->liveResults;
    for (const auto& series : m_live.counters())
        if (!series.points.empty())
            live.insert(series.name, qint64(series.points.back().second));
    showResults(live, {}, tr("Live"));
}

void MainWindow::onFinished(const RunOutcome& outcome)
{
    m_lastTrace = outcome.trace;
    m_live.replace(*outcome.trace);
    m_timeline->setData(&m_live.data());
    setRunning(false);
    const QJsonObject summary = summaryJson(outcome);
    showResults(summary[u"results"].toObject(), summary[u"workers"].toArray(),
        tr("%1 — %2 in %3 ms")
            .arg(outcome.scenario.name, outcome.statusName())
            .arg(outcome.durationNs / 1e6, 0, 'f', 1));
    updateStatus(outcome.trace->eventCount(), outcome.trace->droppedEvents);
    m_statusState->setText(outcome.status == RunOutcome::Status::Failed
            ? tr("Failed: %1").arg(outcome.error)
            : tr("Finished (%1)").arg(outcome.statusName()));
}

void MainWindow::showResults(const QJsonObject& results, const QJsonArray& workers, const QString& heading)
{
    auto cell = [](const QJsonValue& v) {
        if (v.isDouble() && v.toDouble() != std::floor(v.toDouble()))
            return QString::number(v.toDouble(), 'g', 4);
        if (v.isArray() || v.isObject())
            return QString::fromUtf8(QJsonDocument::fromVariant(v.toVariant()).toJson(QJsonDocument::Compact))
                .toHtmlEscaped();
        return v.toVariant().toString().toHtmlEscaped();
    };
    QString html = QStringLiteral("<h3>%1</h3><table cellspacing=0 cellpadding=3>").arg(heading.toHtmlEscaped());
    for (auto it = results.begin(); it != results.end(); ++it) {
        if (it->isArray() && !it->toArray().isEmpty() && it->toArray().first().isObject()) {
            // A list of records (e.g. the live threads) reads best as its own table.
            const QJsonArray rows = it->toArray();
            const QStringList keys = rows.first().toObject().keys();
            html += QStringLiteral(
                "<tr><td valign=top><b>%1</b></td><td><table border=1 cellspacing=0 cellpadding=2><tr>")
                        .arg(it.key());
            for (const auto& k : keys)
                html += QStringLiteral("<th>%1</th>").arg(k);
            html += QStringLiteral("</tr>");
            for (const auto& row : rows) {
                html += QStringLiteral("<tr>");
                for (const auto& k : keys)
                    html += QStringLiteral("<td>%1</td>").arg(cell(row.toObject().value(k)));
                html += QStringLiteral("</tr>");
            }
            html += QStringLiteral("</table></td></tr>");
        } else {
            html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(it.key(), cell(*it));
        }
    }
    html += QStringLiteral("</table>");
    if (!workers.isEmpty()) {
        QStringList keys = workers.first().toObject().keys();
        keys.removeAll(QStringLiteral("name"));
        html += QStringLiteral("<h4>Per worker</h4><table border=1 cellspacing=0 cellpadding=3><tr><th>worker</th>");
        for (const auto& k : keys)
            html += QStringLiteral("<th>%1</th>").arg(k);
        html += QStringLiteral("</tr>");
        for (const auto& w : workers) {
            const QJsonObject o = w.toObject();
            html += QStringLiteral("<tr><td>%1</td>").arg(o[u"name"].toString().toHtmlEscaped());
            for (const auto& k : keys)
                html += QStringLiteral("<td align=right>%1</td>").arg(cell(o.value(k)));
            html += QStringLiteral("</tr>");
        }
        html += QStringLiteral("</table>");
    }
    m_results->setHtml(html);
}

QString MainWindow::exportFolder() const
{
    return QSettings()
        .value(QStringLiteral("exportFolder"), QStandardPaths::writableLocation(QStandardPaths::PicturesLocation))
        .toString();
}

void MainWindow::exportImage()
{
    if (!m_lastTrace)
        return;
    const QString suggested = exportFolder() + u'/' + m_live.data().title + QStringLiteral(".png");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Timeline Image"), suggested,
        tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
    if (path.isEmpty())
        return;
    QSettings().setValue(QStringLiteral("exportFolder"), QFileInfo(path).absolutePath());
    QString error;
    const auto format = imageFormatFromSuffix(path).value_or(ImageFormat::Png);
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = exportTimelineFile(m_live.data(), m_timeline->visibleStart(), m_timeline->visibleEnd(), format,
        path, &error, defaultExportSize(m_live.data()));
    QApplication::restoreOverrideCursor();
    if (!ok)
        QMessageBox::warning(this, tr("Export failed"), error);
    else
        statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
}

void MainWindow::exportTrace()
{
    if (!m_lastTrace)
        return;
    const QString suggested = exportFolder() + u'/' + m_live.data().title + QStringLiteral(".json");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Trace"), suggested, tr("Chrome Trace JSON (*.json);;CSV, one row per event (*.csv)"));
    if (path.isEmpty())
        return;
    QSettings().setValue(QStringLiteral("exportFolder"), QFileInfo(path).absolutePath());
    QSaveFile file(path);
    const bool csv = QFileInfo(path).suffix().compare(u"csv", Qt::CaseInsensitive) == 0;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = file.open(QIODevice::WriteOnly)
        && (csv ? writeCsv(*m_lastTrace, file) : writeChromeTrace(*m_lastTrace, file)) && file.commit();
    QApplication::restoreOverrideCursor();
    if (!ok)
        QMessageBox::warning(this, tr("Export failed"), tr("Could not write %1: %2").arg(path, file.errorString()));
    else
        statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
}

void MainWindow::closeEvent(QCloseEvent* e)
{
    // Closing mid-run stops the run and waits for its threads, so the app exits cleanly.
    m_controller.stop();
    m_controller.waitForFinished();
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/mainSplitter"), m_mainSplitter->saveState());
    settings.setValue(QStringLiteral("window/rightSplitter"), m_rightSplitter->saveState());
    if (m_scenarios->currentItem())
        saveParams();
    e->accept();
}

} // namespace tl::ui
