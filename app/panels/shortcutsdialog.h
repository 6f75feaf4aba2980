#pragma once

#include <QList>
#include <QString>

class QAction;
class QWidget;

namespace tl::ui {

// One line of Help → Keyboard Shortcuts: the keys, what they do, and where they work.
struct ShortcutRow {
    QString keys; // "Ctrl+0, Home" (every key sequence of the action, as the desktop writes it)
    QString action; // "Fit Whole Run" (its text without the mnemonic's &)
    QString where; // "Window", or the widget the action belongs to ("Timeline")
};

// Every shortcut `window` has, read from its QActions when asked (menus, toolbars, panels and the timeline's
// own keys alike), so the list cannot drift from the keys that work.
QList<ShortcutRow> shortcutRows(const QWidget* window);

// "Keyboard Shortcuts" (F1): opens a dialog listing shortcutRows(window).
QAction* keyboardShortcutsAction(QWidget* window);

} // namespace tl::ui
