#pragma once

#include <QAction>

namespace tl::ui {

// A menu and toolbar action as ThreadLab shows them: the desktop's icon when its theme has one, else ours
// (resources/icons/toolbar), never text only; the tooltip names the shortcut, the status bar tells the tip.
QAction* panelAction(
    QObject* parent, const QString& icon, const QString& text, const QKeySequence& shortcut, const QString& tip);

} // namespace tl::ui
