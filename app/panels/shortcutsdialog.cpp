#include "shortcutsdialog.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QRegularExpression>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <tuple>

namespace tl::ui {

QList<ShortcutRow> shortcutRows(const QWidget* window)
{
    QList<ShortcutRow> rows;
    // The window's own actions, and those its menus, toolbars and widgets show though another object owns
    // them (the exports' actions belong to no widget).
    QList<QAction*> actions = window->findChildren<QAction*>();
    QList<QWidget*> widgets = window->findChildren<QWidget*>();
    widgets << const_cast<QWidget*>(window);
    for (const QWidget* widget : std::as_const(widgets))
        for (QAction* action : widget->actions())
            if (!actions.contains(action))
                actions << action;
    for (const QAction* action : std::as_const(actions)) {
        if (action->shortcuts().isEmpty() || action->isSeparator())
            continue;
        QStringList keys;
        for (const QKeySequence& key : action->shortcuts())
            keys << key.toString(QKeySequence::NativeText);
        QString where = QStringLiteral("Window");
        if (action->shortcutContext() == Qt::WidgetShortcut
            || action->shortcutContext() == Qt::WidgetWithChildrenShortcut)
            if (const auto* owner = qobject_cast<const QWidget*>(action->parent()))
                where = owner->accessibleName().isEmpty() ? owner->objectName() : owner->accessibleName();
        QString text = action->text();
        text.remove(QRegularExpression(QStringLiteral("&(?!&)")));
        rows.push_back({ keys.join(QStringLiteral(", ")), text, where });
    }
    std::stable_sort(rows.begin(), rows.end(), [](const ShortcutRow& a, const ShortcutRow& b) {
        // The window's keys first (they work everywhere in it), then each widget's own.
        const bool aWindow = a.where == u"Window", bWindow = b.where == u"Window";
        return std::tie(bWindow, a.where, a.action) < std::tie(aWindow, b.where, b.action);
    });
    return rows;
}

namespace {
void showShortcuts(QWidget* window)
{
    auto* dialog = new QDialog(window);
    dialog->setObjectName(QStringLiteral("shortcutsDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(QObject::tr("Keyboard Shortcuts"));
    auto* table = new QTableWidget(dialog);
    table->setObjectName(QStringLiteral("shortcutsTable"));
    table->setColumnCount(3);
    table->setHorizontalHeaderLabels({ QObject::tr("Keys"), QObject::tr("Action"), QObject::tr("Where") });
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->verticalHeader()->hide();
    const QList<ShortcutRow> rows = shortcutRows(window);
    table->setRowCount(int(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
        table->setItem(i, 0, new QTableWidgetItem(rows[i].keys));
        table->setItem(i, 1, new QTableWidgetItem(rows[i].action));
        table->setItem(i, 2, new QTableWidgetItem(rows[i].where));
    }
    table->resizeColumnsToContents();
    table->resizeRowsToContents();
    table->horizontalHeader()->setStretchLastSection(true);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(table);
    layout->addWidget(buttons);
    dialog->resize(std::max(480, table->horizontalHeader()->length() + 60), 520);
    dialog->open();
}
}

QAction* keyboardShortcutsAction(QWidget* window)
{
    // (A menu entry: no toolbar icon to fall back on.)
    auto* action = new QAction(QObject::tr("&Keyboard Shortcuts"), window);
    action->setShortcut(QKeySequence(Qt::Key_F1));
    action->setStatusTip(QObject::tr("List every keyboard shortcut of this window"));
    action->setToolTip(QObject::tr("List every keyboard shortcut of this window (F1)"));
    QObject::connect(action, &QAction::triggered, window, [window] { showShortcuts(window); });
    return action;
}

} // namespace tl::ui
