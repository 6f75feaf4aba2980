#pragma once

#include <models/livetimeline.h>
#include <models/resultcells.h>
#include <scenarios/scenario.h>
#include <session/runcontroller.h>
#include <sync/handover.h>
#include <timeline/timelineexport.h>

#include <QElapsedTimer>
#include <QMainWindow>
#include <QUrl>

#include <functional>
#include <list>
#include <thread>

class QAction;
class QActionGroup;
class QLabel;
class QListWidget;
class QProgressBar;
class QSplitter;
class QTextBrowser;

namespace tl::ui {

class CounterChart;
class ResultChart;
class WaitForGraph;
class ParameterForm;
class ProcessView;
class TimelineView;

// The desktop app: scenarios and their generated parameter form on the left, the live timeline with the
// results, the counter chart and a plain-language account of the run on the right.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class ExportScope { VisibleRange, WholeRun };
    enum class Theme { System, Light, Dark };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    RunController& controller() { return m_controller; }
    ParameterForm* parameterForm() const { return m_form; }
    TimelineView* timeline() const { return m_timeline; }
    CounterChart* counterChart() const { return m_chart; }
    ProcessView* processView() const { return m_processes; }
    ResultChart* resultChart() const { return m_resultChart; }
    QString resultsText() const;
    QString resultsHtml() const;
    // Zooms the timeline to a moment a results link names ("show:FROM:TO", e.g. a lost update) and selects it.
    void showMoment(const QUrl& link);
    QString selectionText() const;
    bool selectScenario(const QString& name);

    // Writes the timeline image off the GUI thread, then calls `done` on this one with an error message,
    // empty on success. `done` is not called if the window is destroyed first (which waits for the writing).
    void exportImageTo(const QString& path, ExportScope scope, std::function<void(const QString& error)> done);
    void applyTheme(Theme theme);

public slots:
    void startRun();
    void stopRun();
    void exportImage(ExportScope scope);
    void exportChart();
    // What the timeline shows and exports: the run by worker, or by CPU (View > Lanes by CPU).
    std::shared_ptr<const TimelineData> shownData();
    QSize visibleImageSize() const; // the timeline's size on screen, within what an image may be
    void exportTrace();
    void copyImage();

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    void buildActions();
    void buildLayout();
    void onScenarioChanged();
    void onBatch(const TraceBatchPtr& batch);
    void onFinished(const RunOutcome& outcome);
    void showProcesses(const std::vector<ProcessInfo>& processes);
    void uncollapseCharts();
    void onSelectionChanged(std::int64_t t0, std::int64_t t1);
    void setRunning(bool running);
    void showResults(
        const QJsonObject& results, const QJsonArray& workers, const QString& heading, const QString& account = {});
    void chooseRecordingMemory();
    void updateStatus(std::uint64_t events, std::uint64_t dropped, const RecordingOverhead& overhead);
    void saveParams();
    QString currentScenario() const;
    QString exportFolder() const;
    // Runs `work` (which returns an error message, empty on success) on a thread of its own and hands the
    // message to `done` on this thread, through a queued call.
    void runInBackground(std::function<QString()> work, std::function<void(const QString& error)> done);
    // For the menu's exports: a progress dialog while `path` is written, then a report.
    std::function<void(const QString& error)> reportWhenWritten(const QString& path);
    void rememberExportFolder(const QString& path);

    RunController m_controller;
    LiveTimeline m_live;
    std::vector<ScenarioInfo> m_catalog;
    QStringList m_resultOrder; // the running (or last) scenario's ScenarioInfo::results
    std::shared_ptr<const Trace> m_lastTrace;
    QElapsedTimer m_elapsed;
    QPalette m_systemPalette;
    QString m_systemStyle;

    QListWidget* m_scenarios = nullptr;
    ParameterForm* m_form = nullptr;
    QTextBrowser* m_explanation = nullptr;
    TimelineView* m_timeline = nullptr;
    QLabel* m_selectionInfo = nullptr;
    QTextBrowser* m_results = nullptr;
    CounterChart* m_chart = nullptr;
    ProcessView* m_processes = nullptr;
    ResultChart* m_resultChart = nullptr;
    QSplitter* m_mainSplitter = nullptr;
    QSplitter* m_rightSplitter = nullptr;
    QSplitter* m_bottomSplitter = nullptr;
    QLabel* m_statusState = nullptr;
    QLabel* m_statusEvents = nullptr;
    QLabel* m_statusOverhead = nullptr;
    QProgressBar* m_progress = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_stopAction = nullptr;
    QList<QAction*> m_needsFinishedRun; // exports and copy
    QAction* m_exportChart = nullptr; // enabled while the results show a chart
    QAction* m_lanesByCpu = nullptr;
    WaitForGraph* m_waitFor = nullptr;
    std::shared_ptr<const TimelineData> m_cpuView; // the last run by CPU, built when first shown
    QString m_headline; // the last run's outcome in its own numbers, for exported images
    QJsonObject m_chartSpec; // the chart the last run's results describe
    QActionGroup* m_themeGroup = nullptr;
    // The background work's threads, each joined once its result is back, the rest by the destructor.
    std::list<std::jthread> m_background;
};

} // namespace tl::ui
