#pragma once

#include <QWidget>

class QAction;

namespace tl::ui {

class CounterChart;
class ProcessView;
class ResultChart;
class RunDocument;
class WaitForGraph;

// The panels beside the results, each hidden while its run has nothing for it to show.

// The run's processes, when it starts child processes; one can be killed (killRequested).
class ProcessesPanel : public QWidget {
    Q_OBJECT
public:
    explicit ProcessesPanel(RunDocument* document, QWidget* parent = nullptr);
    ProcessView* view() const { return m_view; }

signals:
    void killRequested(qint64 pid);

private:
    ProcessView* m_view;
};

// Who holds and who waits for which lock, live, when the run has two locks or more (which can deadlock).
class WaitForPanel : public QWidget {
    Q_OBJECT
public:
    explicit WaitForPanel(RunDocument* document, QWidget* parent = nullptr);
    WaitForGraph* graph() const { return m_graph; }

private:
    WaitForGraph* m_graph;
};

// The counters the run publishes, over time.
class CountersPanel : public QWidget {
    Q_OBJECT
public:
    explicit CountersPanel(RunDocument* document, QWidget* parent = nullptr);
    CounterChart* chart() const { return m_chart; }

private:
    CounterChart* m_chart;
};

// The chart a finished run's results describe (speed-ups, throughput…), and its Export Chart action.
class ResultChartPanel : public QWidget {
    Q_OBJECT
public:
    explicit ResultChartPanel(RunDocument* document, QWidget* parent = nullptr);
    ResultChart* chart() const { return m_chart; }
    QAction* exportAction() const { return m_export; }

signals:
    void message(const QString& text, int timeoutMs);

private:
    void exportChart();

    RunDocument* m_document;
    ResultChart* m_chart;
    QAction* m_export;
};

} // namespace tl::ui
