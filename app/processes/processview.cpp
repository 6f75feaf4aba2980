#include "processview.h"

#include <models/processtablemodel.h>

#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QShortcut>
#include <QTableView>
#include <QVBoxLayout>
#include <unistd.h>

namespace tl::ui {

ProcessView::ProcessView(QWidget* parent)
    : QWidget(parent)
    , m_model(new ProcessTableModel(this))
    , m_table(new QTableView)
    , m_kill(new QPushButton(tr("&Kill process")))
{
    m_table->setModel(m_model);
    m_table->setAccessibleName(tr("Processes"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setWordWrap(false);
    m_kill->setToolTip(tr("Send SIGKILL to the selected child process (Delete): it is shown as crashed and "
                          "the run carries on"));
    m_kill->setEnabled(false);

    auto* header = new QLabel(tr("<b>Processes</b>"));
    auto* top = new QHBoxLayout;
    top->addWidget(header);
    top->addStretch(1);
    top->addWidget(m_kill);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);

    auto kill = [this] {
        const QModelIndex current = m_table->currentIndex();
        if (current.isValid() && m_kill->isEnabled())
            emit killRequested(m_model->process(current.row()).pid);
    };
    connect(m_kill, &QPushButton::clicked, this, kill);
    auto* shortcut = new QShortcut(QKeySequence::Delete, m_table, nullptr, nullptr, Qt::WidgetShortcut);
    connect(shortcut, &QShortcut::activated, this, kill);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ProcessView::updateKillButton);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &ProcessView::updateKillButton);
}

void ProcessView::updateKillButton()
{
    const QModelIndex current = m_table->currentIndex();
    bool killable = false;
    if (current.isValid()) {
        const ProcessInfo& p = m_model->process(current.row());
        killable = p.pid != getpid() && p.pid > 0 && !p.ended();
    }
    m_kill->setEnabled(killable);
}

void ProcessView::update(const std::vector<ProcessInfo>& processes)
{
    m_model->update(processes);
}

void ProcessView::clear()
{
    m_model->clear();
    updateKillButton();
}

} // namespace tl::ui
