#include "scenariolistpanel.h"

#include <document/rundocument.h>
#include <scenarios/registry.h>

#include <QApplication>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QSettings>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QVBoxLayout>

namespace tl::ui {

namespace {
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
}

ScenarioListPanel::ScenarioListPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_catalog(scenarioCatalog())
    , m_list(new QListWidget)
{
    m_list->setAccessibleName(tr("Scenarios"));
    m_list->setItemDelegate(new ScenarioDelegate(m_list));
    for (const auto& info : m_catalog) {
        auto* item = new QListWidgetItem(info.title);
        item->setData(ScenarioDelegate::kSummaryRole, info.summary);
        item->setData(Qt::UserRole, info.name);
        item->setToolTip(QStringLiteral("%1\nFrom the seed: %2\nCommand line: threadlab run %3")
                             .arg(info.summary, info.topic, info.name));
        m_list->addItem(item);
    }
    m_list->setMaximumHeight(m_list->sizeHintForRow(0) * 5 + 6);
    connect(m_list, &QListWidget::currentRowChanged, this, &ScenarioListPanel::onRowChanged);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("<b>Scenarios</b>")));
    layout->addWidget(m_list);

    connect(document, &RunDocument::started, m_list, [this] { m_list->setEnabled(false); });
    connect(document, &RunDocument::workersEnded, m_list, [this] { m_list->setEnabled(true); });
}

bool ScenarioListPanel::selectScenario(const QString& name)
{
    for (int i = 0; i < m_list->count(); ++i) {
        if (m_list->item(i)->data(Qt::UserRole).toString() == name) {
            m_list->setCurrentRow(i);
            return true;
        }
    }
    return false;
}

void ScenarioListPanel::restoreLastScenario()
{
    if (!selectScenario(QSettings().value(QStringLiteral("lastScenario")).toString()))
        m_list->setCurrentRow(0);
}

const ScenarioInfo* ScenarioListPanel::current() const
{
    const int row = m_list->currentRow();
    return row >= 0 && row < int(m_catalog.size()) ? &m_catalog[std::size_t(row)] : nullptr;
}

void ScenarioListPanel::onRowChanged(int row)
{
    if (row < 0 || row >= int(m_catalog.size()))
        return;
    const ScenarioInfo& info = m_catalog[std::size_t(row)];
    QSettings().setValue(QStringLiteral("lastScenario"), info.name);
    emit scenarioChosen(info);
}

} // namespace tl::ui
