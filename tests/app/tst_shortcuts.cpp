#include "../support/privatesettings.h"

#include <mainwindow.h>
#include <panels/shortcutsdialog.h>

#include <QAction>
#include <QApplication>
#include <QDialog>
#include <QMenu>
#include <QMenuBar>
#include <QSet>
#include <QTableWidget>
#include <QTest>

using namespace tl;
using namespace tl::ui;

// Help → Keyboard Shortcuts (F1) lists the keys the window answers to: those written down here (the menus'
// and the timeline's), each with its action's name, and an action added later too (the list is read from the
// actions, not written beside them).
class TestShortcuts : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::usePrivateSettings(QStringLiteral("tst_shortcuts")); }
    void f1ListsEveryShortcutOfTheWindow();

private:
    // The rows of the dialog F1 opens on `window`, as "keys | action | where".
    static QStringList dialogRows(QWidget& window);
};

QStringList TestShortcuts::dialogRows(QWidget& window)
{
    window.activateWindow(); // (back from the last dialog: offscreen has no window manager to do it)
    if (!QTest::qWaitForWindowActive(&window))
        return { QStringLiteral("the window is not active") };
    QTest::keyClick(&window, Qt::Key_F1);
    auto* dialog = window.findChild<QDialog*>(QStringLiteral("shortcutsDialog"));
    if (!dialog || !QTest::qWaitForWindowExposed(dialog))
        return { QStringLiteral("no dialog") };
    auto* table = dialog->findChild<QTableWidget*>(QStringLiteral("shortcutsTable"));
    QStringList rows;
    for (int r = 0; table && r < table->rowCount(); ++r)
        rows << QStringLiteral("%1 | %2 | %3")
                    .arg(table->item(r, 0)->text(), table->item(r, 1)->text(), table->item(r, 2)->text());
    dialog->close();
    delete dialog;
    return rows;
}

void TestShortcuts::f1ListsEveryShortcutOfTheWindow()
{
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QAction* help = nullptr;
    for (QAction* menu : window.menuBar()->actions())
        if (menu->text() == u"&Help")
            for (QAction* a : menu->menu()->actions())
                if (a->shortcut() == QKeySequence(Qt::Key_F1))
                    help = a;
    QVERIFY2(help, "the Help menu has no entry on F1");
    QCOMPARE(help->text(), QStringLiteral("&Keyboard Shortcuts"));

    const QStringList rows = dialogRows(window);
    const QString all = rows.join(u'\n');
    // The keys a user of the window relies on, written here by hand.
    for (const char* row : { "F5 | Run | Window", "Shift+F5 | Stop | Window", "F1 | Keyboard Shortcuts | Window",
             "Ctrl+E | Export Visible Range… | Window", "Ctrl+Shift+S | Export Whole Run… | Window",
             "Ctrl+Shift+C | Copy Timeline Image | Window", "Ctrl+0 | Fit Whole Run | Window",
             "Z | Zoom to Selection | Window", "Ctrl+U | Lanes by CPU | Window", "Alt+Left | Back | Window",
             "Alt+Right | Forward | Window", "Esc | Clear Selection | Timeline", "Left | Pan Left | Timeline",
             "Right | Pan Right | Timeline", "0, Home | Fit Whole Run | Timeline" })
        QVERIFY2(rows.contains(QString::fromUtf8(row)),
            qPrintable(QString::fromUtf8(row) + QStringLiteral("\nnot in:\n") + all));
    // Every action of the window that has a key is a row, and no row is anything else.
    // (Actions are owned by the window or shown by its widgets: the exports' belong to no widget.)
    QSet<const QAction*> withKeys;
    QList<QWidget*> widgets = window.findChildren<QWidget*>();
    widgets << &window;
    for (const QWidget* w : std::as_const(widgets))
        for (const QAction* a : w->actions() + w->findChildren<QAction*>(Qt::FindDirectChildrenOnly))
            if (!a->shortcuts().isEmpty())
                withKeys.insert(a);
    QCOMPARE(rows.size(), withKeys.size());

    // An action added after the window was built is listed the next time.
    auto* extra = new QAction(QStringLiteral("&Extra Thing"), &window);
    extra->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_J));
    window.addAction(extra);
    const QStringList again = dialogRows(window);
    QVERIFY2(again.contains(QStringLiteral("Ctrl+Alt+J | Extra Thing | Window")), qPrintable(again.join(u'\n')));
}

QTEST_MAIN(TestShortcuts)
#include "tst_shortcuts.moc"
