#pragma once

#include <models/livetimeline.h>
#include <run/runcontroller.h>
#include <scenarios/scenario.h>

#include <QElapsedTimer>
#include <QMainWindow>

class QAction;
class QLabel;
class QListWidget;
class QProgressBar;
class QSplitter;
class QTextBrowser;

namespace tl::ui {

class ParameterForm;
class TimelineView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    RunController& controller() { return m_controller; }
    ParameterForm* parameterForm() const { return m_form; }
    TimelineView* timeline() const { return m_timeline; }
    bool selectScenario(const QString& name);

public slots:
    void startRun();
    void stopRun();
    void exportImage();
    void exportTrace();

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    void buildActions();
    void buildLayout();
    void onScenarioChanged();
    void onBatch(const TraceBatchPtr& batch);
    void onFinished(const RunOutcome& outcome);
    void setRunning(bool running);
    void showResults(const QJsonObject& results, const QJsonArray& workers, const QString& heading);
    void updateStatus(std::uint64_t events, std::uint64_t dropped);
    void saveParams();
    QString exportFolder() const;

    RunController m_controller;
    LiveTimeline m_live;
    std::vector<ScenarioInfo> m_catalog;
    std::shared_ptr<const Trace> m_lastTrace;
    QElapsedTimer m_elapsed;

    QListWidget* m_scenarios = nullptr;
    QLabel* m_summary = nullptr;
    ParameterForm* m_form = nullptr;
    TimelineView* m_timeline = nullptr;
    QTextBrowser* m_results = nullptr;
    QSplitter* m_mainSplitter = nullptr;
    QSplitter* m_rightSplitter = nullptr;
    QLabel* m_statusState = nullptr;
    QLabel* m_statusEvents = nullptr;
    QProgressBar* m_progress = nullptr;
    QAction* m_runAction = nullptr;
    QAction* m_stopAction = nullptr;
    QAction* m_exportImageAction = nullptr;
    QAction* m_exportTraceAction = nullptr;
};

} // namespace tl::ui
