#include "mainwindow.h"

#include "recordingmemory.h"
#include <panels/parameterform.h>

#include <document/panelaction.h>
#include <panels/parameterspanel.h>
#include <panels/resultspanel.h>
#include <panels/scenariolistpanel.h>
#include <panels/shortcutsdialog.h>
#include <panels/sidepanels.h>
#include <panels/statusbarpanel.h>
#include <panels/timelinepanel.h>
#include <panels/tracedialog.h>
#include <session/tracedsource.h>
#include <timeline/timelineview.h>

#include <QAbstractItemView>
#include <QApplication>
#include <QCloseEvent>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSplitter>
#include <QToolBar>
#include <QVBoxLayout>

namespace tl::ui {

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
{
    setWindowTitle(tr("ThreadLab"));
    buildLayout();
    m_exports = std::make_unique<RunExports>(&m_document, m_timeline->view(), this);
    connect(m_exports.get(), &RunExports::message, statusBar(), &QStatusBar::showMessage);
    buildMenus();
    connectController();
    connectTrace();

    restoreRecordingMemory();
    restoreLayout();
    m_themes.applySaved();
    m_scenarios->restoreLastScenario();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildLayout()
{
    m_scenarios = new ScenarioListPanel(&m_document);
    m_parameters = new ParametersPanel(&m_document);
    connect(m_scenarios, &ScenarioListPanel::scenarioChosen, m_parameters, &ParametersPanel::showScenario);
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    // The list shows every scenario when the window is tall enough; the explanation gives way first.
    leftLayout->addWidget(m_scenarios);
    leftLayout->addWidget(m_parameters, 1);

    m_timeline = new TimelinePanel(&m_document);
    m_results = new ResultsPanel(&m_document);
    connect(m_results, &ResultsPanel::momentClicked, m_timeline, &TimelinePanel::showMoment);
    m_processes = new ProcessesPanel(&m_document);

    m_counters = new CountersPanel(&m_document);
    m_resultChart = new ResultChartPanel(&m_document);
    m_waitFor = new WaitForPanel(&m_document);
    m_bottomSplitter = new QSplitter(Qt::Horizontal);
    for (QWidget* panel : std::initializer_list<QWidget*> { m_results, m_counters, m_resultChart, m_waitFor })
        m_bottomSplitter->addWidget(panel);
    m_bottomSplitter->setStretchFactor(0, 3);
    m_bottomSplitter->setStretchFactor(1, 2);
    m_bottomSplitter->setSizes({ 700, 380 });
    // After the panels have shown or hidden themselves for the batch or the outcome.
    connect(&m_document, &RunDocument::batchAppended, this, &MainWindow::uncollapseSidePanels);
    connect(&m_document, &RunDocument::finished, this, &MainWindow::uncollapseSidePanels);

    // The processes table spans the timeline's width, between it and the results: under the results, beside
    // the charts, it had 380 px for six columns at 1024×700 (hiding "Parameters received") and left the
    // results two lines.
    m_rightSplitter = new QSplitter(Qt::Vertical);
    m_rightSplitter->addWidget(m_timeline);
    m_rightSplitter->addWidget(m_processes);
    m_rightSplitter->addWidget(m_bottomSplitter);
    m_rightSplitter->setStretchFactor(0, 3);
    m_rightSplitter->setStretchFactor(1, 1);
    m_rightSplitter->setStretchFactor(2, 2);
    m_rightSplitter->setSizes({ 450, 150, 300 });
    m_mainSplitter = new QSplitter(Qt::Horizontal);
    m_mainSplitter->addWidget(left);
    m_mainSplitter->addWidget(m_rightSplitter);
    m_mainSplitter->setStretchFactor(1, 1);
    m_mainSplitter->setSizes({ 320, 1000 });
    setCentralWidget(m_mainSplitter);

    m_status = new StatusBarPanel(&m_document);
    setStatusBar(m_status);
    resize(1400, 860);
}

void MainWindow::buildMenus()
{
    m_runAction = panelAction(this, QStringLiteral("media-playback-start"), tr("&Run"), Qt::Key_F5,
        tr("Run the scenario with these parameters"));
    connect(m_runAction, &QAction::triggered, this, &MainWindow::startRun);
    m_stopAction = panelAction(this, QStringLiteral("media-playback-stop"), tr("&Stop"),
        QKeySequence(Qt::SHIFT | Qt::Key_F5), tr("Stop the run; every thread it started is released"));
    connect(m_stopAction, &QAction::triggered, this, &MainWindow::stopRun);
    m_stopAction->setEnabled(false);
    connect(&m_document, &RunDocument::started, this, [this] {
        m_runAction->setEnabled(false);
        m_stopAction->setEnabled(true);
    });
    // The next run may start once the workers are done, while this one's picture completes.
    connect(&m_document, &RunDocument::workersEnded, this, [this] {
        m_runAction->setEnabled(true);
        m_stopAction->setEnabled(false);
    });
    auto* quit
        = panelAction(this, QStringLiteral("application-exit"), tr("&Quit"), QKeySequence::Quit, tr("Quit ThreadLab"));
    connect(quit, &QAction::triggered, this, &QWidget::close);

    auto* file = menuBar()->addMenu(tr("&File"));
    m_trace = new TraceActions(&m_document, this);
    file->addAction(m_trace->traceAction());
    file->addMenu(m_trace->recentMenu());
    file->addSeparator();
    file->addActions({ m_exports->exportVisibleAction(), m_exports->exportWholeAction(), m_exports->exportTraceAction(),
        m_resultChart->exportAction() });
    file->addSeparator();
    file->addAction(quit);
    menuBar()->addMenu(tr("&Edit"))->addAction(m_exports->copyImageAction());
    auto* run = menuBar()->addMenu(tr("&Run"));
    run->addActions({ m_runAction, m_stopAction });
    run->addSeparator();
    auto* memory = run->addAction(tr("Recording &Memory…"), this, [this] {
        if (const auto mib = chooseRecordingMemory(this))
            statusBar()->showMessage(tr("Runs from now on may keep %L1 MiB of events").arg(*mib), 5000);
    });
    memory->setStatusTip(tr("How much memory a run may fill with events before it drops them (shown as gaps)"));
    auto* view = menuBar()->addMenu(tr("&View"));
    view->addActions(m_timeline->zoomActions());
    view->addActions(m_timeline->historyActions()); // Back / Forward through the zoom history
    view->addSeparator();
    view->addAction(m_timeline->lanesByCpuAction());
    view->addSeparator();
    m_themes.addActionsTo(view->addMenu(tr("&Theme")));
    connect(&m_themes, &Themes::applied, m_timeline->view(), qOverload<>(&QWidget::update));
    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(keyboardShortcutsAction(this)); // F1: every shortcut, read from the actions
    help->addAction(tr("&About ThreadLab"), this, [this] {
        QMessageBox::about(this, tr("About ThreadLab"),
            tr("<h3>ThreadLab %1</h3><p>See threads and processes at work.</p>"
               "<p>Built with Qt %2 (running on Qt %3).</p>"
               "<p>Licensed under the GNU General Public License version 3, as Qt Charts requires.</p>")
                .arg(QApplication::applicationVersion(), QStringLiteral(QT_VERSION_STR),
                    QString::fromLatin1(qVersion())));
    });

    auto* tools = addToolBar(tr("Run"));
    tools->setObjectName(QStringLiteral("runToolBar"));
    tools->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    tools->addActions({ m_runAction, m_stopAction });
    tools->addSeparator();
    tools->addActions({ m_timeline->fitAction(), m_exports->exportVisibleAction(), m_exports->copyImageAction() });
    tools->addActions(m_timeline->historyActions());
}

// The controller feeds the document, which every panel shows; what a panel asks of the run goes back to it.
void MainWindow::connectController()
{
    connect(&m_controller, &RunController::batchReady, &m_document, &RunDocument::appendBatch);
    connect(&m_controller, &RunController::workersDone, &m_document, &RunDocument::endWorkers);
    connect(&m_controller, &RunController::finished, &m_document, &RunDocument::finish);
    connect(m_parameters->form(), &ParameterForm::liveChanged, this, [this](const QString& name, std::int64_t value) {
        QString error;
        if (!m_controller.setLive(name, value, &error))
            statusBar()->showMessage(error, 5000);
        else
            statusBar()->showMessage(tr("%1 changed while running").arg(name), 3000);
    });
    connect(m_processes, &ProcessesPanel::killRequested, this, [this](qint64 pid) {
        m_controller.killProcess(pid);
        statusBar()->showMessage(tr("Sent SIGKILL to process %1").arg(pid), 4000);
    });
    connect(m_resultChart, &ResultChartPanel::message, statusBar(), &QStatusBar::showMessage);
}

void MainWindow::startRun()
{
    const ScenarioInfo* scenario = m_scenarios->current();
    if (!scenario && !m_controller.isRunning()) // after a trace, until one is chosen again
        statusBar()->showMessage(tr("Choose a scenario to run"), 4000);
    if (m_controller.isRunning() || !scenario)
        return;
    m_parameters->saveParams();
    startSource(*scenario, m_parameters->params());
}

bool MainWindow::startSource(const ScenarioInfo& info, const ParamSet& params, std::unique_ptr<RunSource> source)
{
    QString error;
    if (!(source ? m_controller.start(std::move(source), params, &error)
                 : m_controller.start(info.name, params, &error))) {
        QMessageBox::warning(this, tr("Cannot run"), error);
        return false;
    }
    m_document.start(info, params);
    return true;
}

void MainWindow::stopRun()
{
    const bool tracing = !m_traced.isEmpty() && m_controller.isRunning();
    m_controller.stop();
    m_status->showStopping();
    if (tracing) {
        m_stopping = true;
        statusBar()->showMessage(
            tr("Stopping %1: SIGTERM, then SIGKILL after %2 s").arg(m_traced).arg(TracedProgram::kStopGraceMs / 1000));
    }
}

// A traced run is shown as a scenario's; the left side shows the program, not the scenario chosen last, and
// the status bar names the program and its pid (a message over the run's state until its workers are done).
void MainWindow::startTrace(const TraceRequest& request)
{
    if (m_controller.isRunning() || request.command.isEmpty())
        return;
    auto source = std::make_unique<TracedProgramSource>(request);
    const ScenarioInfo info = source->info();
    if (!startSource(info, ParamSet(), std::move(source)))
        return;
    m_traced = request.command.first();
    m_tracedPid = 0;
    m_stopping = false;
    if (auto* list = m_scenarios->findChild<QAbstractItemView*>()) {
        list->setCurrentIndex({}); // no scenario is running: none stays chosen
        list->clearSelection();
    }
    m_parameters->showScenario(info);
    statusBar()->showMessage(tr("Tracing %1…").arg(m_traced));
}

void MainWindow::connectTrace()
{
    connect(m_trace, &TraceActions::traceRequested, this, &MainWindow::startTrace);
    connect(&m_document, &RunDocument::batchAppended, this, [this](const TraceBatchPtr& batch) {
        if (!m_traced.isEmpty() && !m_stopping && !m_document.isCompleting())
            showTracing(*batch);
    });
    connect(&m_document, &RunDocument::workersEnded, this, [this] {
        if (m_traced.isEmpty())
            return;
        m_traced.clear();
        statusBar()->clearMessage(); // the run's own state: completing, then finished
    });
}

void MainWindow::showTracing(const TraceBatch& batch)
{
    // The program is the process ThreadLab started itself (the others are its children, or orphans ThreadLab
    // took in later).
    const auto program = std::find_if(batch.processes.begin(), batch.processes.end(),
        [](const ProcessInfo& p) { return p.ppid == QCoreApplication::applicationPid(); });
    if (m_tracedPid == 0 && program != batch.processes.end())
        m_tracedPid = program->pid;
    const QString name = m_tracedPid > 0 ? tr("%1 (pid %2)").arg(m_traced).arg(m_tracedPid) : m_traced;
    statusBar()->showMessage(tr("Tracing %1… %2 s").arg(name).arg(m_document.secondsSinceStart(), 0, 'f', 1));
}

void MainWindow::uncollapseSidePanels()
{
    // The processes panel, shown with no height (it was hidden when the sizes were set or saved), gets what
    // its rows need from the timeline.
    if (QList<int> sizes = m_rightSplitter->sizes(); m_processes->isVisible() && sizes.value(1) < kProcessesHeight) {
        const int wanted = std::min(kProcessesHeight, sizes.value(0) / 2);
        sizes[0] -= wanted - sizes[1];
        sizes[1] = wanted;
        m_rightSplitter->setSizes(sizes);
    }
    // Splitter sizes saved while a side panel was hidden keep it at zero width when it shows again.
    const QList<int> sizes = m_bottomSplitter->sizes();
    bool collapsed = false;
    int panels = 0;
    for (int i = 1; i < m_bottomSplitter->count(); ++i) {
        const bool shown = m_bottomSplitter->widget(i)->isVisible();
        panels += shown;
        collapsed = collapsed || (shown && sizes.value(i) == 0);
    }
    if (!collapsed)
        return;
    const int width = m_bottomSplitter->width();
    const int panelWidth = width * 2 / 5 / std::max(panels, 1);
    QList<int> wanted { width - panels * panelWidth };
    for (int i = 1; i < m_bottomSplitter->count(); ++i)
        wanted << (m_bottomSplitter->widget(i)->isVisible() ? panelWidth : 0);
    m_bottomSplitter->setSizes(wanted);
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    m_mainSplitter->restoreState(settings.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_rightSplitter->restoreState(settings.value(QStringLiteral("window/rightSplitter")).toByteArray());
    m_bottomSplitter->restoreState(settings.value(QStringLiteral("window/bottomSplitter")).toByteArray());
}

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/mainSplitter"), m_mainSplitter->saveState());
    settings.setValue(QStringLiteral("window/rightSplitter"), m_rightSplitter->saveState());
    settings.setValue(QStringLiteral("window/bottomSplitter"), m_bottomSplitter->saveState());
}

void MainWindow::closeEvent(QCloseEvent* e)
{
    // Closing mid-run stops the run and waits for its threads, so the app exits cleanly; a picture still
    // completing is not waited for.
    m_controller.discard();
    m_controller.waitForFinished();
    saveLayout();
    m_parameters->saveParams();
    e->accept();
}

ParameterForm* MainWindow::parameterForm() const
{
    return m_parameters->form();
}
TimelineView* MainWindow::timeline() const
{
    return m_timeline->view();
}
CounterChart* MainWindow::counterChart() const
{
    return m_counters->chart();
}
ProcessView* MainWindow::processView() const
{
    return m_processes->view();
}
ResultChart* MainWindow::resultChart() const
{
    return m_resultChart->chart();
}
QString MainWindow::resultsText() const
{
    return m_results->toPlainText();
}
QString MainWindow::resultsHtml() const
{
    return m_results->toHtml();
}
QString MainWindow::selectionText() const
{
    return m_timeline->selectionText();
}
void MainWindow::showMoment(const QUrl& link)
{
    m_timeline->showMoment(link);
}
bool MainWindow::selectScenario(const QString& name)
{
    return m_scenarios->selectScenario(name);
}
void MainWindow::applyTheme(Theme theme)
{
    m_themes.apply(theme);
}

void MainWindow::exportImageTo(const QString& path, ExportScope scope, std::function<void(const QString&)> done)
{
    m_exports->exportImageTo(path, scope, std::move(done));
}

} // namespace tl::ui
