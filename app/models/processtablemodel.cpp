#include "processtablemodel.h"

#include <params/format.h>

#include <QColor>

namespace tl::ui {

int ProcessTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ProcessTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProcessTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const ProcessInfo& p = m_rows[std::size_t(index.row())];
    if (role == kPidRole)
        return qint64(p.pid);
    if (role == Qt::ForegroundRole && index.column() == State) {
        if (p.state == ProcessInfo::State::Crashed || p.state == ProcessInfo::State::FailedToStart)
            return QColor(0xd3, 0x2f, 0x2f);
        return {};
    }
    if (role == Qt::TextAlignmentRole
        && (index.column() == Pid || index.column() == Ppid || index.column() == CpuTime || index.column() == Copied))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (Column(index.column())) {
    case Pid:
        return p.pid > 0 ? QVariant(qint64(p.pid)) : QVariant(tr("—"));
    case Ppid:
        return qint64(p.ppid);
    case Name:
        return p.name;
    case State:
        return p.stateText();
    case CpuTime:
        return tr("%1 ms").arg(double(p.cpuNs) / 1e6, 0, 'f', 1);
    case Start: // how it started, and how long until its first instruction of its own
        if (p.start.isEmpty())
            return tr("—");
        return p.startNs >= 0 ? tr("%1, %2").arg(p.start, formatDuration(double(p.startNs))) : p.start;
    case Copied: // what was copied into it through a pipe
        return p.copiedBytes >= 0 ? tr("%1 B").arg(groupedNumber(p.copiedBytes)) : tr("—");
    case Params:
        return p.params;
    case ColumnCount:
        break;
    }
    return {};
}

QVariant ProcessTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char* const titles[]
        = { "PID", "PPID", "Name", "State", "CPU time", "Start", "Copied in", "Parameters received" };
    return section >= 0 && section < ColumnCount ? tr(titles[section]) : QVariant();
}

void ProcessTableModel::update(const std::vector<ProcessInfo>& processes)
{
    for (const ProcessInfo& p : processes) {
        const auto row
            = std::find_if(m_rows.begin(), m_rows.end(), [&](const auto& r) { return r.worker == p.worker; });
        if (row == m_rows.end()) {
            beginInsertRows({}, rowCount(), rowCount());
            m_rows.push_back(p);
            endInsertRows();
            continue;
        }
        const bool changed = row->pid != p.pid || row->state != p.state || row->cpuNs != p.cpuNs
            || row->params != p.params || row->startNs != p.startNs || row->copiedBytes != p.copiedBytes;
        if (changed) {
            *row = p;
            const int r = int(row - m_rows.begin());
            emit dataChanged(index(r, 0), index(r, ColumnCount - 1));
        }
    }
}

void ProcessTableModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

} // namespace tl::ui
