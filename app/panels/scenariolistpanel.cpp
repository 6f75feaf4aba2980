#include "scenariolistpanel.h"

#include <document/rundocument.h>
#include <scenarios/registry.h>

#include <QLabel>
#include <QListWidget>
#include <QSettings>
#include <QStyledItemDelegate>
#include <QVBoxLayout>

namespace tl::ui {

namespace {
// Scenario list entries: the title in bold, one line each, so that every scenario is in view at once (two-line
// entries with their summary showed 4 of 16 at 1024×700). The chosen one's summary is shown under the list.
class ScenarioDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    static constexpr int kSummaryRole = Qt::UserRole + 1;

    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        option->font.setBold(true);
        option->fontMetrics = QFontMetrics(option->font);
        option->features |= QStyleOptionViewItem::WrapText;
    }
    // A title wider than the list takes a second line rather than being cut ("Manager: shared objects in a
    // server proce").
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override
    {
        QStyleOptionViewItem opt = option;
        initStyleOption(&opt, index);
        const auto* view = qobject_cast<const QAbstractItemView*>(opt.widget);
        const int width = view ? view->viewport()->width() - kPadding : 10'000;
        const QRect text = opt.fontMetrics.boundingRect(QRect(0, 0, width, 10'000), Qt::TextWordWrap, opt.text);
        return { std::min(text.width(), width) + kPadding, text.height() + 4 };
    }

private:
    static constexpr int kPadding = 16;
};
}

ScenarioListPanel::ScenarioListPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_catalog(scenarioCatalog())
    , m_list(new QListWidget)
    , m_summary(new QLabel)
{
    m_list->setAccessibleName(tr("Scenarios"));
    m_list->setItemDelegate(new ScenarioDelegate(m_list));
    m_list->setWordWrap(true);
    m_list->setResizeMode(QListView::Adjust); // titles wrap again at the new width
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents); // asks for every entry
    for (const auto& info : m_catalog) {
        auto* item = new QListWidgetItem(info.title);
        item->setData(ScenarioDelegate::kSummaryRole, info.summary);
        item->setData(Qt::UserRole, info.name);
        item->setToolTip(QStringLiteral("%1\nFrom the seed: %2\nCommand line: threadlab run %3")
                             .arg(info.summary, info.topic, info.name));
        m_list->addItem(item);
    }
    // At least kMinShown entries in view, and room for all of them when the window has it.
    const int frame = 2 * m_list->frameWidth();
    const int line = QFontMetrics(m_list->font()).height() + 4; // bold is as tall
    // Three lines more than kMinShown entries, for titles that take two (at 320 px, two of the first eight).
    m_list->setMinimumHeight(line * std::min(kMinShown + 3, m_list->count()) + frame);
    m_list->setMaximumHeight(line * (m_list->count() + 2) + frame);
    m_summary->setWordWrap(true);
    m_summary->setAccessibleName(tr("Scenario summary"));
    connect(m_list, &QListWidget::currentRowChanged, this, &ScenarioListPanel::onRowChanged);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("<b>Scenarios</b>")));
    layout->addWidget(m_list, 1);
    layout->addWidget(m_summary);

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
    m_summary->setText(info.summary);
    QSettings().setValue(QStringLiteral("lastScenario"), info.name);
    emit scenarioChosen(info);
}

} // namespace tl::ui
