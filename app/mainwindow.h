#pragma once

#include <document/rundocument.h>
#include <document/runexports.h>
#include <launch/tracedprogram.h>
#include <session/runcontroller.h>
#include <themes.h>

#include <QMainWindow>

#include <functional>
#include <memory>

class QSplitter;

namespace tl::ui {

class CounterChart;
class CountersPanel;
class ParameterForm;
class ParametersPanel;
class ProcessView;
class ProcessesPanel;
class ResultChart;
class ResultChartPanel;
class ResultsPanel;
class ScenarioListPanel;
class StatusBarPanel;
class TimelinePanel;
class TimelineView;
class TraceActions;
class WaitForPanel;

// The desktop app: scenarios and their parameters on the left, the run's timeline over its results, the
// charts and the wait-for graph on the right. The window places the panels, builds its menus from their
// actions and owns the run controller, which feeds the document every panel shows.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    using ExportScope = RunExports::Scope;
    using Theme = Themes::Theme;

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    RunController& controller() { return m_controller; }
    RunDocument& document() { return m_document; }
    ParameterForm* parameterForm() const;
    TimelineView* timeline() const;
    CounterChart* counterChart() const;
    ProcessView* processView() const;
    ResultChart* resultChart() const;
    QString resultsText() const;
    QString resultsHtml() const;
    // Zooms the timeline to a moment a results link names ("show:FROM:TO", e.g. a lost update) and selects it.
    void showMoment(const QUrl& link);
    QString selectionText() const;
    bool selectScenario(const QString& name);

    // See RunExports::exportImageTo.
    void exportImageTo(const QString& path, ExportScope scope, std::function<void(const QString& error)> done);
    void applyTheme(Theme theme);

public slots:
    void startRun();
    void stopRun();
    // Traces `request`'s program as File → Trace a Program… and File → Recent Programs do.
    void startTrace(const tl::TraceRequest& request);

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    void buildLayout();
    void buildMenus();
    void connectController();
    void uncollapseSidePanels();
    void restoreLayout();
    // What the processes panel is given when it first shows: its header and four rows.
    static constexpr int kProcessesHeight = 160;
    void saveLayout() const;
    // Starts a run of `source` (a scenario's, by its name, when null) and shows it; a refusal is said.
    bool startSource(const ScenarioInfo& info, const ParamSet& params, std::unique_ptr<RunSource> source = {});
    // The status bar while a program is traced: its name and pid, and what a stop does to it.
    void connectTrace();
    void showTracing(const TraceBatch& batch);

    RunController m_controller;
    RunDocument m_document;
    Themes m_themes;

    ScenarioListPanel* m_scenarios = nullptr;
    ParametersPanel* m_parameters = nullptr;
    TimelinePanel* m_timeline = nullptr;
    ResultsPanel* m_results = nullptr;
    ProcessesPanel* m_processes = nullptr;
    CountersPanel* m_counters = nullptr;
    ResultChartPanel* m_resultChart = nullptr;
    WaitForPanel* m_waitFor = nullptr;
    StatusBarPanel* m_status = nullptr;
    QSplitter* m_mainSplitter = nullptr;
    QSplitter* m_rightSplitter = nullptr;
    QSplitter* m_bottomSplitter = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_stopAction = nullptr;
    TraceActions* m_trace = nullptr;
    QString m_traced; // the program as named, while a trace's workers go
    std::int64_t m_tracedPid = 0;
    bool m_stopping = false;
    // Last, so it is destroyed first: it waits for the exports still writing while all they use is there.
    std::unique_ptr<RunExports> m_exports;
};

} // namespace tl::ui
