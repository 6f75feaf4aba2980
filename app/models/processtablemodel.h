#pragma once

#include <trace/processinfo.h>

#include <QAbstractTableModel>
#include <vector>

namespace tl::ui {

// The processes of the current run, one row each (ThreadLab first, then its children). update() merges a
// new list row by row, so a selection survives the live refreshes.
class ProcessTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Pid, Ppid, Name, State, CpuTime, Start, Copied, Params, ColumnCount };
    static constexpr int kPidRole = Qt::UserRole;

    using QAbstractTableModel::QAbstractTableModel;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void update(const std::vector<ProcessInfo>& processes);
    void clear();
    const ProcessInfo& process(int row) const { return m_rows.at(std::size_t(row)); }

private:
    std::vector<ProcessInfo> m_rows;
};

} // namespace tl::ui
