#include "mainwindow.h"

#include "parameterform.h"
#include "processes/processview.h"

#include <charts/counterchart.h>
#include <charts/resultchart.h>
#include <graph/waitforgraph.h>
#include <run/workers.h>
#include <scenarios/registry.h>
#include <timeline/timelinepainter.h>
#include <timeline/timelineview.h>
#include <trace/contextswitches.h>
#include <trace/exporters.h>
#include <trace/recorder.h>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
#include <QProgressDialog>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QStyleFactory>
#include <QStyledItemDelegate>
#include <QTextBrowser>
#include <QToolBar>
#include <QVBoxLayout>
#include <functional>
#include <numeric>
#include <optional>

namespace tl::ui {

namespace {
QString settingsKey(const QString& scenario, const QString& param)
{
    return QStringLiteral("params/%1/%2").arg(scenario, param);
}

// Scenario list entries: the title in bold, the one-line summary under it.
class ScenarioDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    static constexpr int kSummaryRole = Qt::UserRole + 1;

    void paint(QPainter* p, const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        opt.text.clear();
        QApplication::style()->drawControl(QStyle::CE_ItemViewItem, &opt, p, opt.widget);
        const bool selected = opt.state & QStyle::State_Selected;
        const QRect r = opt.rect.adjusted(6, 3, -6, -3);
        QFont title = opt.font;
        title.setBold(true);
        p->save();
        p->setPen(opt.palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
        p->setFont(title);
        p->drawText(r, Qt::AlignLeft | Qt::AlignTop, index.data(Qt::DisplayRole).toString());
        QFont small = opt.font;
        small.setPointSizeF(opt.font.pointSizeF() * 0.9);
        p->setFont(small);
        if (!selected)
            p->setPen(opt.palette.color(QPalette::PlaceholderText));
        p->drawText(r.adjusted(0, QFontMetrics(title).height(), 0, 0), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
            index.data(kSummaryRole).toString());
        p->restore();
    }
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const override
    {
        return { 200, QFontMetrics(option.font).height() * 3 + 8 };
    }
};

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x2b, 0x2d, 0x31), base(0x1e, 0x20, 0x24), text(0xe6, 0xe8, 0xeb);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0xa0, 0xa8));
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7e, 0xd8));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xff));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x70, 0x74, 0x7a));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x70, 0x74, 0x7a));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x70, 0x74, 0x7a));
    return p;
}
}

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
    , m_catalog(scenarioCatalog())
    , m_systemPalette(QApplication::palette())
    , m_systemStyle(QApplication::style()->name())
{
    setWindowTitle(tr("ThreadLab"));
    buildLayout();
    buildActions();

    connect(&m_controller, &RunController::batchReady, this, &MainWindow::onBatch);
    connect(&m_controller, &RunController::finished, this, &MainWindow::onFinished);
    connect(m_form, &ParameterForm::liveChanged, this, [this](const QString& name, std::int64_t value) {
        QString error;
        if (!m_controller.setLive(name, value, &error))
            statusBar()->showMessage(error, 5000);
        else
            statusBar()->showMessage(tr("%1 changed while running").arg(name), 3000);
    });
    connect(m_timeline, &TimelineView::selectionChanged, this, &MainWindow::onSelectionChanged);
    connect(m_timeline, &TimelineView::selectionCleared, this, [this] { m_selectionInfo->clear(); });

    QSettings settings;
    if (const int mib = settings.value(QStringLiteral("recordingMemoryMiB"), 0).toInt(); mib > 0)
        RecordingBudget::choose(
            std::clamp(std::size_t(mib) << 20, RecordingBudget::kMinBytes, RecordingBudget::machineBytes()));
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    m_mainSplitter->restoreState(settings.value(QStringLiteral("window/mainSplitter")).toByteArray());
    m_rightSplitter->restoreState(settings.value(QStringLiteral("window/rightSplitter")).toByteArray());
    m_bottomSplitter->restoreState(settings.value(QStringLiteral("window/bottomSplitter")).toByteArray());
    applyTheme(Theme(settings.value(QStringLiteral("theme"), int(Theme::System)).toInt()));
    if (!selectScenario(settings.value(QStringLiteral("lastScenario")).toString()))
        m_scenarios->setCurrentRow(0);
    setRunning(false);
}

MainWindow::~MainWindow()
{
    // Waits for exports still writing; the queued calls bringing their results back die with this object.
    m_background.clear();
}

void MainWindow::buildActions()
{
    auto action = [this](const QString& icon, const QString& text, const QKeySequence& shortcut, const QString& tip) {
        // The desktop's icon when its theme has one, else ours (resources/icons/toolbar): never text only.
        auto* a = new QAction(
            QIcon::fromTheme(icon, QIcon(QStringLiteral(":/icons/toolbar/%1.svg").arg(icon))), text, this);
        a->setShortcut(shortcut);
        a->setToolTip(QStringLiteral("%1 (%2)").arg(tip, shortcut.toString(QKeySequence::NativeText)));
        a->setStatusTip(tip);
        return a;
    };
    m_runAction = action(
        QStringLiteral("media-playback-start"), tr("&Run"), Qt::Key_F5, tr("Run the scenario with these parameters"));
    connect(m_runAction, &QAction::triggered, this, &MainWindow::startRun);
    m_stopAction = action(QStringLiteral("media-playback-stop"), tr("&Stop"), QKeySequence(Qt::SHIFT | Qt::Key_F5),
        tr("Stop the run; every thread it started is released"));
    connect(m_stopAction, &QAction::triggered, this, &MainWindow::stopRun);

    auto* fit = action(QStringLiteral("zoom-fit-best"), tr("&Fit Whole Run"), QKeySequence(Qt::CTRL | Qt::Key_0),
        tr("Show the whole run and follow it live (or double-click the timeline)"));
    connect(fit, &QAction::triggered, m_timeline, &TimelineView::fitAll);
    auto* zoomIn = action(QStringLiteral("zoom-in"), tr("Zoom &In"), QKeySequence::ZoomIn, tr("Zoom in"));
    connect(zoomIn, &QAction::triggered, m_timeline, &TimelineView::zoomIn);
    auto* zoomOut = action(QStringLiteral("zoom-out"), tr("Zoom &Out"), QKeySequence::ZoomOut, tr("Zoom out"));
    connect(zoomOut, &QAction::triggered, m_timeline, &TimelineView::zoomOut);
    auto* zoomSelection = action(QStringLiteral("zoom-select"), tr("Zoom to &Selection"), QKeySequence(Qt::Key_Z),
        tr("Zoom to the range selected with Shift+drag"));
    connect(zoomSelection, &QAction::triggered, m_timeline, &TimelineView::zoomToSelection);

    auto* exportVisible = action(QStringLiteral("document-save-as"), tr("Export &Visible Range…"),
        QKeySequence(Qt::CTRL | Qt::Key_E), tr("Save the visible part of the timeline as PNG, SVG or PDF"));
    connect(exportVisible, &QAction::triggered, this, [this] { exportImage(ExportScope::VisibleRange); });
    auto* exportWhole = action(QStringLiteral("document-save-as"), tr("Export &Whole Run…"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), tr("Save the timeline of the whole run as PNG, SVG or PDF"));
    connect(exportWhole, &QAction::triggered, this, [this] { exportImage(ExportScope::WholeRun); });
    auto* exportTraceAction = action(QStringLiteral("document-export"), tr("Export &Trace…"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
        tr("Save the run's events as Chrome Trace JSON, a Perfetto trace or CSV"));
    connect(exportTraceAction, &QAction::triggered, this, &MainWindow::exportTrace);
    auto* copy = action(QStringLiteral("edit-copy"), tr("&Copy Timeline Image"),
        QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C),
        tr("Copy the visible timeline, with legend and axis, to the clipboard"));
    connect(copy, &QAction::triggered, this, &MainWindow::copyImage);
    m_exportChart
        = action(QStringLiteral("document-save-as"), tr("Export &Chart…"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_E),
            tr("Save the results chart (speed-ups, throughput…) as PNG or SVG"));
    m_exportChart->setEnabled(false);
    connect(m_exportChart, &QAction::triggered, this, &MainWindow::exportChart);
    m_needsFinishedRun = { exportVisible, exportWhole, exportTraceAction, copy };
    auto* quit = action(QStringLiteral("application-exit"), tr("&Quit"), QKeySequence::Quit, tr("Quit ThreadLab"));
    connect(quit, &QAction::triggered, this, &QWidget::close);

    auto* file = menuBar()->addMenu(tr("&File"));
    file->addActions({ exportVisible, exportWhole, exportTraceAction, m_exportChart });
    file->addSeparator();
    file->addAction(quit);
    auto* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(copy);
    auto* run = menuBar()->addMenu(tr("&Run"));
    run->addActions({ m_runAction, m_stopAction });
    run->addSeparator();
    auto* memory = run->addAction(tr("Recording &Memory…"));
    memory->setStatusTip(tr("How much memory a run may fill with events before it drops them (shown as gaps)"));
    connect(memory, &QAction::triggered, this, &MainWindow::chooseRecordingMemory);
    auto* view = menuBar()->addMenu(tr("&View"));
    view->addActions({ fit, zoomIn, zoomOut, zoomSelection });
    view->addSeparator();
    m_lanesByCpu = action(QStringLiteral("cpu"), tr("Lanes by &CPU"), QKeySequence(Qt::CTRL | Qt::Key_U),
        tr("After a run, show one group per CPU with the workers that ran on it: interleaving on one core, "
           "parallelism across cores"));
    m_lanesByCpu->setCheckable(true);
    m_lanesByCpu->setChecked(QSettings().value(QStringLiteral("lanesByCpu"), false).toBool());
    connect(m_lanesByCpu, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("lanesByCpu"), on);
        if (!m_controller.isRunning())
            m_timeline->setData(shownData());
    });
    view->addAction(m_lanesByCpu);
    view->addSeparator();
    auto* themes = view->addMenu(tr("&Theme"));
    m_themeGroup = new QActionGroup(this);
    const std::pair<Theme, QString> themeNames[]
        = { { Theme::System, tr("Follow the &System") }, { Theme::Light, tr("&Light") }, { Theme::Dark, tr("&Dark") } };
    for (const auto& [theme, name] : themeNames) {
        auto* a = themes->addAction(name);
        a->setCheckable(true);
        a->setData(int(theme));
        m_themeGroup->addAction(a);
        connect(a, &QAction::triggered, this, [this, theme = theme] { applyTheme(theme); });
    }
    auto* help = menuBar()->addMenu(tr("&Help"));
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
    tools->addActions({ fit, exportVisible, copy });
}

void MainWindow::buildLayout()
{
    m_scenarios = new QListWidget;
    m_scenarios->setAccessibleName(tr("Scenarios"));
    m_scenarios->setItemDelegate(new ScenarioDelegate(m_scenarios));
    for (const auto& info : m_catalog) {
        auto* item = new QListWidgetItem(info.title);
        item->setData(ScenarioDelegate::kSummaryRole, info.summary);
        item->setData(Qt::UserRole, info.name);
        item->setToolTip(QStringLiteral("%1\nFrom the seed: %2\nCommand line: threadlab run %3")
                             .arg(info.summary, info.topic, info.name));
        m_scenarios->addItem(item);
    }
    m_scenarios->setMaximumHeight(m_scenarios->sizeHintForRow(0) * 5 + 6);
    connect(m_scenarios, &QListWidget::currentRowChanged, this, &MainWindow::onScenarioChanged);

    m_form = new ParameterForm;
    m_form->setAccessibleName(tr("Parameters"));
    m_explanation = new QTextBrowser;
    m_explanation->setAccessibleName(tr("About this scenario"));
    m_explanation->setOpenExternalLinks(true);

    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->addWidget(new QLabel(tr("<b>Scenarios</b>")));
    leftLayout->addWidget(m_scenarios);
    leftLayout->addWidget(new QLabel(tr("<b>Parameters</b> (⟳ may change while running)")));
    leftLayout->addWidget(m_form);
    leftLayout->addWidget(m_explanation, 1);

    m_timeline = new TimelineView;
    m_timeline->setData(m_live.snapshot());
    m_selectionInfo = new QLabel;
    m_selectionInfo->setAccessibleName(tr("Selection statistics"));
    m_selectionInfo->setToolTip(tr("Shift+drag on the timeline to select a time range; Esc clears it, Z zooms to it"));
    auto* timelinePane = new QWidget;
    auto* timelineLayout = new QVBoxLayout(timelinePane);
    timelineLayout->setContentsMargins(0, 0, 0, 0);
    timelineLayout->addWidget(m_timeline, 1);
    timelineLayout->addWidget(m_selectionInfo);

    m_results = new QTextBrowser;
    m_results->setAccessibleName(tr("Results"));
    m_results->setOpenLinks(false);
    connect(m_results, &QTextBrowser::anchorClicked, this, &MainWindow::showMoment);
    m_results->setPlaceholderText(tr("Results appear here while and after a scenario runs."));
    m_chart = new CounterChart;
    m_chart->setMinimumWidth(320);
    m_chart->hide(); // until a run publishes counters

    m_processes = new ProcessView;
    m_processes->hide(); // until a run has child processes
    connect(m_processes, &ProcessView::killRequested, this, [this](qint64 pid) {
        m_controller.killProcess(pid);
        statusBar()->showMessage(tr("Sent SIGKILL to process %1").arg(pid), 4000);
    });
    auto* resultsPane = new QSplitter(Qt::Vertical);
    resultsPane->addWidget(m_results);
    resultsPane->addWidget(m_processes);

    m_bottomSplitter = new QSplitter(Qt::Horizontal);
    m_bottomSplitter->addWidget(resultsPane);
    m_bottomSplitter->addWidget(m_chart);
    m_resultChart = new ResultChart;
    m_resultChart->setMinimumWidth(320);
    m_resultChart->hide(); // until a run's results describe a chart
    m_bottomSplitter->addWidget(m_resultChart);
    m_waitFor = new WaitForGraph;
    m_waitFor->hide(); // until a run has two locks or more
    m_bottomSplitter->addWidget(m_waitFor);
    m_bottomSplitter->setStretchFactor(0, 3);
    m_bottomSplitter->setStretchFactor(1, 2);
    m_bottomSplitter->setSizes({ 700, 380 });
    m_rightSplitter = new QSplitter(Qt::Vertical);
    m_rightSplitter->addWidget(timelinePane);
    m_rightSplitter->addWidget(m_bottomSplitter);
    m_rightSplitter->setStretchFactor(0, 3);
    m_rightSplitter->setStretchFactor(1, 2);
    m_mainSplitter = new QSplitter(Qt::Horizontal);
    m_mainSplitter->addWidget(left);
    m_mainSplitter->addWidget(m_rightSplitter);
    m_mainSplitter->setStretchFactor(1, 1);
    m_mainSplitter->setSizes({ 320, 1000 });
    setCentralWidget(m_mainSplitter);

    m_statusState = new QLabel(tr("Ready"));
    m_statusEvents = new QLabel;
    m_statusEvents->setToolTip(tr("Events recorded, and events dropped because a worker's buffer was full"));
    m_statusOverhead = new QLabel;
    m_statusOverhead->setToolTip(tr("Estimated share of the workers' time spent recording events "
                                    "(events × %1 ns measured per event on this machine)")
                                     .arg(Recorder::costPerEventNs(), 0, 'f', 1));
    m_progress = new QProgressBar;
    m_progress->setRange(0, 0);
    m_progress->setMaximumWidth(120);
    m_progress->setAccessibleName(tr("Run in progress"));
    statusBar()->addWidget(m_statusState);
    statusBar()->addPermanentWidget(m_statusEvents);
    statusBar()->addPermanentWidget(m_statusOverhead);
    statusBar()->addPermanentWidget(m_progress);
    resize(1400, 860);
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

QString MainWindow::currentScenario() const
{
    return m_scenarios->currentItem() ? m_scenarios->currentItem()->data(Qt::UserRole).toString() : QString();
}

void MainWindow::onScenarioChanged()
{
    const int row = m_scenarios->currentRow();
    if (row < 0 || row >= int(m_catalog.size()))
        return;
    const ScenarioInfo& info = m_catalog[std::size_t(row)];
    ParamSet params(info.params);
    QSettings settings;
    for (const auto& spec : info.params) {
        const QVariant saved = settings.value(settingsKey(info.name, spec.name));
        if (saved.isValid())
            params.set(spec.name, saved.toString(), nullptr); // a stale or invalid value keeps the default
    }
    m_form->setParams(params);
    QFile page(QStringLiteral(":/explanations/%1.html").arg(info.name));
    m_explanation->setHtml(page.open(QIODevice::ReadOnly)
            ? QString::fromUtf8(page.readAll())
            : QStringLiteral("<h3>%1</h3><p>%2</p>").arg(info.title.toHtmlEscaped(), info.summary.toHtmlEscaped()));
    settings.setValue(QStringLiteral("lastScenario"), info.name);
}

void MainWindow::saveParams()
{
    QSettings settings;
    const QString scenario = currentScenario();
    for (const auto& [name, value] : m_form->params().asText())
        settings.setValue(settingsKey(scenario, name), value);
}

void MainWindow::startRun()
{
    if (m_controller.isRunning() || currentScenario().isEmpty())
        return;
    const QString scenario = currentScenario();
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
    m_resultOrder = m_catalog[std::size_t(m_scenarios->currentRow())].results;
    m_processes->clear();
    m_processes->hide();
    m_resultChart->hide();
    m_waitFor->clear();
    m_waitFor->hide();
    m_timeline->setData(m_live.snapshot());
    m_timeline->clearSelection();
    m_timeline->setFollowing(true);
    m_chart->clear();
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
    for (auto* a : m_needsFinishedRun)
        a->setEnabled(!running && m_lastTrace);
}

void MainWindow::chooseRecordingMemory()
{
    QInputDialog dialog(this);
    dialog.setWindowTitle(tr("Recording Memory"));
    dialog.setLabelText(tr("Memory a run may fill with its events. Beyond it, later events are dropped\nand "
                           "the timeline hatches where they are missing. About 16 bytes an event.\n"
                           "Default: a quarter of this machine's RAM (%L1 MiB); at most all of it (%L2 MiB).")
                            .arg(RecordingBudget::defaultBytes() >> 20)
                            .arg(RecordingBudget::machineBytes() >> 20));
    dialog.setInputMode(QInputDialog::IntInput);
    dialog.setIntRange(int(RecordingBudget::kMinBytes >> 20),
        int(std::min<std::size_t>(RecordingBudget::machineBytes() >> 20, INT_MAX)));
    dialog.setIntStep(256);
    dialog.setIntValue(int(RecordingBudget::chosenBytes() >> 20));
    if (auto* box = dialog.findChild<QSpinBox*>()) {
        box->setSuffix(tr(" MiB"));
        box->setGroupSeparatorShown(true);
    }
    if (dialog.exec() != QDialog::Accepted)
        return;
    const int mib = dialog.intValue();
    RecordingBudget::choose(std::size_t(mib) << 20);
    QSettings().setValue(QStringLiteral("recordingMemoryMiB"), mib);
    statusBar()->showMessage(tr("Runs from now on may keep %L1 MiB of events").arg(mib), 5000);
}

void MainWindow::updateStatus(std::uint64_t events, std::uint64_t dropped, const RecordingOverhead& overhead)
{
    QString text = tr("%L1 events").arg(events);
    if (dropped > 0)
        text += tr(", <span style='color:#d32f2f'><b>%L1 lost</b></span> (hatched gaps)").arg(dropped);
    m_statusEvents->setText(text);
    // Share of the workers' time spent in record(): worker events x the measured cost of one, over the
    // workers' time (the same figure as recording_overhead in threadlab run --json).
    const double overheadShare = overhead.share();
    m_statusOverhead->setText(overheadShare < 0.001 ? tr("recording < 0.1% of worker time")
                                                    : tr("recording ≈ %1 of worker time").arg(percent(overheadShare)));
}

void MainWindow::onBatch(const TraceBatchPtr& batch)
{
    m_live.append(*batch);
    showProcesses(batch->processes);
    m_timeline->dataChanged();
    m_chart->setVisible(!m_live.counters().empty());
    m_chart->update(m_live.counters(), m_live.data().startNs);
    if (batch->lockNames.size() > 2) { // lock ids start at 1: two locks or more can deadlock
        m_waitFor->show();
        m_waitFor->update(batch->workers, batch->lockNames, batch->locks);
    }
    uncollapseCharts();
    const double seconds = m_elapsed.elapsed() / 1000.0;
    QString state = tr("Running %1 — %2 s").arg(m_live.data().title).arg(seconds, 0, 'f', 1);
    // On a busy machine the collector may fall behind the workers: the live view says by how much (nothing is
    // lost meanwhile, and the final picture has everything).
    if (batch->lagNs >= 200'000'000)
        state += tr(" — live view %1 s behind (%L2 events waiting)")
                     .arg(double(batch->lagNs) / 1e9, 0, 'f', 1)
                     .arg(batch->pendingEvents);
    m_statusState->setText(state);
    updateStatus(batch->totalEvents, batch->droppedEvents, recordingOverhead(batch->laneEvents, batch->workerNs));

    QJsonObject live = batch->liveResults;
    for (const auto& series : m_live.counters())
        if (!series.points.empty())
            live.insert(series.name, qint64(series.points.back().second));
    showResults(live, {}, tr("Live"));
}

void MainWindow::uncollapseCharts()
{
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

void MainWindow::showProcesses(const std::vector<ProcessInfo>& processes)
{
    m_processes->setVisible(!processes.empty());
    m_processes->update(processes);
}

void MainWindow::onFinished(const RunOutcome& outcome)
{
    m_lastTrace = outcome.trace;
    showProcesses(outcome.processes);
    m_live.finish(*outcome.trace); // the batches carried every span: nothing to build again
    m_cpuView.reset();
    m_timeline->setData(shownData());
    m_chart->setVisible(!m_live.counters().empty());
    m_chart->update(m_live.counters(), m_live.data().startNs);
    setRunning(false);

    const QJsonObject summary = summaryJson(outcome);
    updateStatus(outcome.trace->eventCount(), outcome.trace->droppedEvents,
        recordingOverhead(outcome.trace->laneEventCount(), outcome.trace->workerTimeNs()));
    // Say which source told when a worker had no CPU: without one, a descheduled moment inside a span is
    // drawn as that span's state.
    const QString& source = outcome.trace->schedulerSource;
    m_statusOverhead->setText(m_statusOverhead->text()
        + tr(" · off-CPU time: %1")
              .arg(source == QLatin1String(kContextSwitchSource) ? tr("kernel context switches")
                      : source == u"schedstat"                   ? tr("schedstat at task checkpoints")
                                                                 : tr("not detected")));
    m_statusOverhead->setToolTip(
        tr("Where ThreadLab learnt when a worker was ready but had no CPU, or blocked in the kernel. "
           "\"kernel context switches\": the kernel's own record of every switch of every worker thread. "
           "\"not detected\": only what the workers recorded, so time the kernel took a worker off its CPU "
           "inside a span is drawn as that span's state.")
        + (outcome.trace->schedulerNote.isEmpty()
                ? QString()
                : tr("\nThe kernel's records were refused: %1").arg(outcome.trace->schedulerNote)));

    QString account;
    if (outcome.status == RunOutcome::Status::Failed)
        account = tr("<b>The run failed:</b> %1").arg(outcome.error.toHtmlEscaped());
    else if (const auto scenario = createScenario(outcome.scenario.name))
        account = scenario->describeOutcome(summary);
    m_headline = runHeadline(outcome, account);
    if (outcome.status == RunOutcome::Status::Stopped)
        account.prepend(tr("<i>Stopped before the end: the figures cover the part that ran.</i> "));
    if (const QString cpu = cpuAccount(outcome); !cpu.isEmpty())
        account += u' ' + cpu.toHtmlEscaped();
    if (const QString gaps = gapAccount(*outcome.trace); !gaps.isEmpty())
        account += QStringLiteral(" <span style='color:#d32f2f'>%1</span>").arg(gaps.toHtmlEscaped());
    m_chartSpec = summary[u"results"][u"chart"].toObject();
    m_resultChart->setVisible(m_resultChart->show(m_chartSpec));
    m_exportChart->setEnabled(m_resultChart->isVisible());
    uncollapseCharts();
    showResults(summary[u"results"].toObject(), summary[u"workers"].toArray(),
        tr("%1 — %2 in %3")
            .arg(outcome.scenario.name, outcome.statusName(), formatDuration(double(outcome.durationNs))),
        account);
    m_statusState->setText(outcome.status == RunOutcome::Status::Failed
            ? tr("Failed: %1").arg(outcome.error)
            : tr("Finished (%1)").arg(outcome.statusName()));
}

void MainWindow::onSelectionChanged(std::int64_t t0, std::int64_t t1)
{
    const TimelineData& data = m_live.data();
    StateTimes total {};
    for (const auto& lane : data.lanes) {
        const StateTimes t = lane.stateTimesBetween(t0, t1);
        for (std::size_t s = 0; s < total.size(); ++s)
            total[s] += t[s];
    }
    const double sum = double(std::accumulate(total.begin(), total.begin() + kLaneStateCount, std::int64_t(0)));
    QStringList parts;
    for (int s = 0; s < kLaneStateCount; ++s)
        if (total[std::size_t(s)] > 0)
            parts << QStringLiteral("<span style='color:%1'>■</span> %2 %3")
                         .arg(stateColor(LaneState(s)).name(), laneStateName(LaneState(s)),
                             percent(double(total[std::size_t(s)]) / sum));
    // A section stays unprotected while its worker sleeps or waits for a CPU inside it: that time counts too.
    if (const std::int64_t inside = total[insideSlot(LaneState::Unprotected)]; inside > 0)
        parts << tr("(inside unprotected sections %1 in all)")
                     .arg(percent(double(total[std::size_t(LaneState::Unprotected)] + inside) / sum));
    m_selectionInfo->setText(tr("Selection %1 (from %2): %3")
                                 .arg(formatDuration(double(t1 - t0)), formatDuration(double(t0 - data.startNs)),
                                     parts.isEmpty() ? tr("no worker activity") : parts.join(u"  ")));
}

QString MainWindow::resultsHtml() const
{
    return m_results->toHtml();
}

QString MainWindow::resultsText() const
{
    return m_results->toPlainText();
}

QString MainWindow::selectionText() const
{
    return m_selectionInfo->text();
}

void MainWindow::showResults(
    const QJsonObject& results, const QJsonArray& workers, const QString& heading, const QString& account)
{
    QString html = QStringLiteral("<h3>%1</h3>").arg(heading.toHtmlEscaped());
    if (!account.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(account);
    html += QStringLiteral("<table cellspacing=0 cellpadding=3>");
    // Records (rows of figures) read best as a table of their own; a record's own lists of records (a
    // batch's tasks) follow it as further tables.
    std::function<QString(const QString&, const QList<std::pair<QString, QJsonObject>>&)> recordTable;
    // A record with from_ns and to_ns (a moment of the run, e.g. a lost update) gets a link that shows it.
    recordTable = [&](const QString& title, const QList<std::pair<QString, QJsonObject>>& rows) {
        QStringList keys;
        for (const auto& [label, row] : rows)
            for (auto k = row.begin(); k != row.end(); ++k)
                if (!keys.contains(k.key()) && !(k->isArray() && k->toArray().first().isObject())
                    && k.key() != u"from_ns" && k.key() != u"to_ns")
                    keys << k.key();
        keys = ui::readingOrder(keys, m_resultOrder);
        const bool moments = rows.first().second.contains(u"from_ns");
        const bool labelled = !rows.first().first.isEmpty();
        QString t = QStringLiteral("<tr><td valign=top><b>%1</b></td><td><table border=1 cellspacing=0 "
                                   "cellpadding=2><tr>%2")
                        .arg(title, labelled ? QStringLiteral("<th></th>") : QString());
        // Headers stay whole: squeezed, Qt broke them inside words ("execu tor" at 1024 px).
        for (const auto& k : keys)
            t += QStringLiteral("<th>%1</th>").arg(resultLabel(k).replace(u' ', QStringLiteral("&nbsp;")));
        t += moments ? QStringLiteral("<th></th></tr>") : QStringLiteral("</tr>");
        QString nested;
        for (const auto& [label, row] : rows) {
            t += labelled ? QStringLiteral("<tr><td><b>%1</b></td>").arg(resultLabel(label)) : QStringLiteral("<tr>");
            for (const auto& k : keys)
                t += QStringLiteral("<td align=right>%1</td>").arg(resultCell(k, row.value(k)));
            if (moments)
                t += QStringLiteral("<td><a href=\"show:%1:%2\">show</a></td>")
                         .arg(row[u"from_ns"].toInteger())
                         .arg(row[u"to_ns"].toInteger());
            t += QStringLiteral("</tr>");
            for (const QString& key : ui::readingOrder(row.keys(), m_resultOrder)) {
                const QJsonValue v = row[key];
                if (!v.isArray() || !v.toArray().first().isObject())
                    continue;
                QList<std::pair<QString, QJsonObject>> sub;
                for (const auto& r : v.toArray())
                    sub.append({ QString(), r.toObject() });
                nested += recordTable(QStringLiteral("%1 %2").arg(label, resultLabel(key)).trimmed(), sub);
            }
        }
        return t + QStringLiteral("</table></td></tr>") + nested;
    };
    auto isRecords = [](const QJsonValue& v) {
        if (v.isArray())
            return !v.toArray().isEmpty() && v.toArray().first().isObject();
        if (!v.isObject() || v.toObject().isEmpty())
            return false;
        const QJsonObject o = v.toObject();
        return std::all_of(o.begin(), o.end(), [](const QJsonValue& x) { return x.isObject(); });
    };
    QString records;
    for (const QString& key : ui::readingOrder(results.keys(), m_resultOrder)) {
        if (key == u"chart")
            continue; // drawn by the results chart
        const QJsonValue value = results[key];
        if (isRecords(value)) {
            QList<std::pair<QString, QJsonObject>> rows;
            if (value.isArray())
                for (const auto& r : value.toArray())
                    rows.append({ QString(), r.toObject() });
            else
                for (const QString& label : ui::readingOrder(value.toObject().keys(), m_resultOrder))
                    rows.append({ label, value[label].toObject() });
            records += recordTable(resultLabel(key), rows);
        } else if (value.isObject()
            && std::none_of(value.toObject().begin(), value.toObject().end(),
                [](const QJsonValue& x) { return x.isObject() || (x.isArray() && x.toArray().first().isObject()); })) {
            records += recordTable(resultLabel(key), { { QString(), value.toObject() } });
        } else {
            html += QStringLiteral("<tr><td><b>%1</b></td><td align=right>%2</td></tr>")
                        .arg(resultLabel(key), resultCell(key, value));
        }
    }
    html += records;
    html += QStringLiteral("</table>");
    if (!workers.isEmpty()) {
        QStringList keys = ui::readingOrder(workers.first().toObject().keys(), commonWorkerFigures() + m_resultOrder);
        keys.removeAll(QStringLiteral("name"));
        html += QStringLiteral("<h4>Per worker</h4><table border=1 cellspacing=0 cellpadding=3><tr><th>worker</th>");
        for (const auto& k : keys)
            html += QStringLiteral("<th>%1</th>").arg(resultLabel(k).replace(u' ', QStringLiteral("&nbsp;")));
        html += QStringLiteral("</tr>");
        for (const auto& w : workers) {
            const QJsonObject o = w.toObject();
            html += QStringLiteral("<tr><td>%1</td>").arg(o[u"name"].toString().toHtmlEscaped());
            for (const auto& k : keys)
                html += QStringLiteral("<td align=right>%1</td>").arg(resultCell(k, o.value(k)));
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

void MainWindow::rememberExportFolder(const QString& path)
{
    QSettings().setValue(QStringLiteral("exportFolder"), QFileInfo(path).absolutePath());
}

void MainWindow::exportImageTo(const QString& path, ExportScope scope, std::function<void(const QString&)> done)
{
    // The snapshot keeps this run's timeline alive even if a new run starts while the export is going.
    const auto data = shownData();
    const std::int64_t t0 = scope == ExportScope::WholeRun ? data->startNs : m_timeline->visibleStart();
    const std::int64_t t1 = scope == ExportScope::WholeRun ? data->endNs : m_timeline->visibleEnd();
    const auto format = imageFormatFromSuffix(path).value_or(ImageFormat::Png);
    // The whole run is a 1080p slide; the visible range is what the window shows, at its size.
    const ImageOptions options { scope == ExportScope::WholeRun ? QSize(1920, 1080) : visibleImageSize(), m_headline };
    runInBackground(
        [data, t0, t1, format, path, options] {
            QString error;
            exportTimelineFile(*data, t0, t1, format, path, &error, options);
            return error;
        },
        std::move(done));
}

void MainWindow::showMoment(const QUrl& link)
{
    // "show:FROM:TO", CLOCK_MONOTONIC ns: select that stretch and zoom to it with some context either side.
    const QStringList parts = link.toString().split(u':');
    if (parts.size() != 3 || parts[0] != u"show")
        return;
    const std::int64_t t0 = parts[1].toLongLong();
    const std::int64_t t1 = std::max<std::int64_t>(parts[2].toLongLong(), t0 + 1);
    const std::int64_t margin = std::max<std::int64_t>(t1 - t0, 2'000);
    m_timeline->setVisibleRange(t0 - margin, t1 + margin);
    m_timeline->setSelection(t0, t1);
}

std::shared_ptr<const TimelineData> MainWindow::shownData()
{
    // While a run is live the lanes follow the workers; the CPU view is built from the finished run.
    if (!m_lanesByCpu->isChecked() || m_controller.isRunning() || !m_lastTrace)
        return m_live.snapshot();
    if (!m_cpuView)
        m_cpuView = std::make_shared<const TimelineData>(m_live.data().byCpu());
    return m_cpuView;
}

void MainWindow::exportChart()
{
    if (m_chartSpec.isEmpty())
        return;
    const QString suggested = exportFolder() + u'/' + m_live.data().title + QStringLiteral(" chart.png");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Chart"), suggested, tr("PNG image (*.png);;SVG drawing (*.svg)"));
    if (path.isEmpty())
        return;
    rememberExportFolder(path);
    QString error;
    if (!exportChartFile(m_chartSpec, path, &error))
        QMessageBox::warning(this, tr("Export failed"), error);
    else
        statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
}

void MainWindow::exportImage(ExportScope scope)
{
    if (!m_lastTrace)
        return;
    const QString suggested = exportFolder() + u'/' + m_live.data().title + QStringLiteral(".png");
    const QString path = QFileDialog::getSaveFileName(this,
        scope == ExportScope::WholeRun ? tr("Export Whole Run") : tr("Export Visible Range"), suggested,
        tr("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"));
    if (path.isEmpty())
        return;
    rememberExportFolder(path);
    exportImageTo(path, scope, reportWhenWritten(path));
}

void MainWindow::runInBackground(std::function<QString()> work, std::function<void(const QString&)> done)
{
    // Not QtConcurrent: a QFuture's result is freed by whichever thread drops the last reference, often the
    // pool's after this one read it, ordered only by Qt's (uninstrumented) atomics, so ThreadSanitizer
    // reported the QString's free. Here the result travels in the queued call, and this thread frees it.
    // Thread creation and join order the rest, and invokeQueued the queued call.
    const auto self = m_background.emplace(m_background.end());
    *self = std::jthread([this, self, work = std::move(work), done = std::move(done)]() mutable {
        invokeQueued(this, [this, self, error = work(), done = std::move(done)] {
            m_background.erase(self); // joins the thread, which is past its last use of this object
            done(error);
        });
    });
}

std::function<void(const QString&)> MainWindow::reportWhenWritten(const QString& path)
{
    // Shown only if the work takes longer than 300 ms; the window stays responsive either way.
    auto* progress = new QProgressDialog(tr("Writing %1…").arg(QFileInfo(path).fileName()), QString(), 0, 0, this);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(300);
    return [this, progress, path](const QString& error) {
        progress->deleteLater();
        if (!error.isEmpty())
            QMessageBox::warning(this, tr("Export failed"), error);
        else
            statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
    };
}

QSize MainWindow::visibleImageSize() const
{
    return m_timeline->size().expandedTo(ImageOptions::kMinSize).boundedTo(ImageOptions::kMaxSize);
}

void MainWindow::copyImage()
{
    const TimelineData& data = *shownData();
    QApplication::clipboard()->setImage(
        renderTimeline(data, m_timeline->visibleStart(), m_timeline->visibleEnd(), { visibleImageSize(), m_headline }));
    statusBar()->showMessage(tr("Timeline image copied to the clipboard"), 3000);
}

void MainWindow::exportTrace()
{
    if (!m_lastTrace)
        return;
    const QString suggested = exportFolder() + u'/' + m_live.data().title + QStringLiteral(".json");
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Trace"), suggested,
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
    runInBackground(
        [trace = m_lastTrace, path, format] {
            QString error;
            writeTraceFile(*trace, format, path, &error);
            return error;
        },
        reportWhenWritten(path));
}

void MainWindow::applyTheme(Theme theme)
{
    if (theme == Theme::System) {
        QApplication::setStyle(m_systemStyle);
        QApplication::setPalette(m_systemPalette);
    } else {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(theme == Theme::Dark ? darkPalette() : QApplication::style()->standardPalette());
    }
    for (auto* a : m_themeGroup->actions())
        a->setChecked(a->data().toInt() == int(theme));
    QSettings().setValue(QStringLiteral("theme"), int(theme));
    m_timeline->update();
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
    settings.setValue(QStringLiteral("window/bottomSplitter"), m_bottomSplitter->saveState());
    if (!currentScenario().isEmpty())
        saveParams();
    e->accept();
}

} // namespace tl::ui
