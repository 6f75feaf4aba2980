#pragma once

#include <trace/processinfo.h>

#include <QWidget>

class QPushButton;
class QTableView;

namespace tl::ui {

class ProcessTableModel;

// The process table of a run with child processes: PID, PPID, name, state, CPU time, how it started (and in
// how long), the bytes copied into it and the parameters each process received, live, with a button (and the
// Delete key) to kill the selected child.
class ProcessView : public QWidget {
    Q_OBJECT
public:
    explicit ProcessView(QWidget* parent = nullptr);

    void update(const std::vector<ProcessInfo>& processes);
    void clear();
    ProcessTableModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }

signals:
    void killRequested(qint64 pid);

private:
    void updateKillButton();

    ProcessTableModel* m_model;
    QTableView* m_table;
    QPushButton* m_kill;
};

} // namespace tl::ui
