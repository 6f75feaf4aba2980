#include "panelaction.h"

namespace tl::ui {

QAction* panelAction(
    QObject* parent, const QString& icon, const QString& text, const QKeySequence& shortcut, const QString& tip)
{
    auto* a
        = new QAction(QIcon::fromTheme(icon, QIcon(QStringLiteral(":/icons/toolbar/%1.svg").arg(icon))), text, parent);
    a->setShortcut(shortcut);
    a->setToolTip(QStringLiteral("%1 (%2)").arg(tip, shortcut.toString(QKeySequence::NativeText)));
    a->setStatusTip(tip);
    return a;
}

} // namespace tl::ui
