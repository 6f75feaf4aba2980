// File → Trace a Program…: the dialog (checks, splitting, what it remembers) and a traced program in the
// window, started the way the menu starts it.
#include "../support/privatesettings.h"
#include <document/tracehistory.h>
#include <mainwindow.h>
#include <models/processtablemodel.h>
#include <panels/tracedialog.h>
#include <processes/processview.h>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QJsonObject>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace tl;
using namespace tl::ui;

namespace {
TraceRequest traceOf(const QStringList& command, const QString& workingDirectory = {})
{
    TraceRequest request;
    request.command = command;
    request.workingDirectory = workingDirectory;
    return request;
}
} // namespace

class TestTraceDialog : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void argumentsAreSplitAsAShellWould_data();
    void argumentsAreSplitAsAShellWould();
    void commandLineQuotesWhatASplitTakesBack();
    void unknownProgramShowsWhyAndStaysOpen();
    void validProgramGivesTheRequest();
    void acceptedValuesComeBackInANewDialog();
    void recentProgramsAreNewestFirstAndCapped();
    void traceFromTheMenuEndsWithTheExitCode();
    void stopEndsAStubbornProgram();

private:
    static QLineEdit* field(QWidget* dialog, const QString& name)
    {
        for (auto* edit : dialog->findChildren<QLineEdit*>())
            if (edit->accessibleName() == name)
                return edit;
        return nullptr;
    }
    static QString results(MainWindow& window, const char* key)
    {
        return window.document().summary()[u"results"][QLatin1StringView(key)].toVariant().toString();
    }
};

void TestTraceDialog::initTestCase()
{
    test::usePrivateSettings(QStringLiteral("tst_tracedialog"));
}

void TestTraceDialog::init()
{
    QSettings().clear();
}

void TestTraceDialog::argumentsAreSplitAsAShellWould_data()
{
    QTest::addColumn<QString>("line");
    QTest::addColumn<QStringList>("words");
    QTest::newRow("empty") << QString() << QStringList();
    QTest::newRow("spaces") << QStringLiteral("  a   b ") << QStringList { "a", "b" };
    QTest::newRow("single quotes") << QStringLiteral("-c 'echo a b'") << QStringList { "-c", "echo a b" };
    QTest::newRow("double quotes") << QStringLiteral("\"x \\\"y\\\"\" z") << QStringList { "x \"y\"", "z" };
    QTest::newRow("joined") << QStringLiteral("a'b c'd") << QStringList { "ab cd" };
    QTest::newRow("escaped space") << QStringLiteral("a\\ b") << QStringList { "a b" };
    QTest::newRow("empty quotes") << QStringLiteral("'' x") << QStringList { "", "x" };
    QTest::newRow("backslash in single") << QStringLiteral("'a\\b'") << QStringList { "a\\b" };
}

void TestTraceDialog::argumentsAreSplitAsAShellWould()
{
    QFETCH(QString, line);
    QFETCH(QStringList, words);
    QCOMPARE(tracehistory::splitArguments(line), words);
}

void TestTraceDialog::commandLineQuotesWhatASplitTakesBack()
{
    const QStringList command { "/bin/sh", "-c", "echo 'a' b", "", "x" };
    QCOMPARE(tracehistory::commandLine(command), QStringLiteral("/bin/sh -c \"echo 'a' b\" '' x"));
    QCOMPARE(tracehistory::splitArguments(tracehistory::commandLine(command)), command);
    // A single quote inside reads better in double quotes, when nothing in it is special there.
    const QStringList trap { "-c", "trap '' TERM", "say \"it's\"" };
    QCOMPARE(tracehistory::commandLine(trap), QStringLiteral("-c \"trap '' TERM\" 'say \"it'\\''s\"'"));
    QCOMPARE(tracehistory::splitArguments(tracehistory::commandLine(trap)), trap);
}

void TestTraceDialog::unknownProgramShowsWhyAndStaysOpen()
{
    TraceDialog dialog;
    dialog.setRequest(traceOf({ "threadlab-no-such-program" }));
    dialog.show();
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Rejected));
    QVERIFY2(dialog.problem().contains(u"127"), qPrintable(dialog.problem()));
    QVERIFY2(dialog.problem().contains(checkProgram(dialog.request()).reason), qPrintable(dialog.problem()));
    QVERIFY(tracehistory::recent().isEmpty()); // nothing remembered
    // The reason goes once the program is changed; Tab goes from the program to its arguments.
    dialog.findChild<QComboBox*>()->setEditText(QStringLiteral("threadlab-still-no-such-program"));
    QVERIFY(dialog.problem().isEmpty());
    // Fixed, it goes.
    dialog.setRequest(traceOf({ "/bin/sh" }));
    dialog.accept();
    QVERIFY(!dialog.isVisible());
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestTraceDialog::validProgramGivesTheRequest()
{
    TraceDialog dialog;
    dialog.show();
    auto* program = dialog.findChild<QComboBox*>();
    QVERIFY(program && program->isEditable());
    program->setEditText(QStringLiteral("/bin/sh"));
    field(&dialog, QStringLiteral("Arguments"))->setText(QStringLiteral("-c 'echo a b'"));
    dialog.accept();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
    QVERIFY(dialog.problem().isEmpty());
    const TraceRequest request = dialog.request();
    QCOMPARE(request.command, (QStringList { "/bin/sh", "-c", "echo a b" }));
    QVERIFY(request.workingDirectory.isEmpty());
    QVERIFY(request.environment.isEmpty());
}

void TestTraceDialog::acceptedValuesComeBackInANewDialog()
{
    const TraceRequest request { .command = { "/bin/sh", "-c", "echo a b" },
        .workingDirectory = QStringLiteral("/tmp"),
        .environment = { "A=1", "B=two words" } };
    {
        TraceDialog dialog;
        dialog.setRequest(request);
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
    }
    TraceDialog again;
    QCOMPARE(again.findChild<QComboBox*>()->currentText(), QStringLiteral("/bin/sh"));
    QCOMPARE(field(&again, QStringLiteral("Arguments"))->text(), QStringLiteral("-c 'echo a b'"));
    QCOMPARE(field(&again, QStringLiteral("Working directory"))->text(), QStringLiteral("/tmp"));
    QCOMPARE(again.findChild<QPlainTextEdit*>()->toPlainText(), QStringLiteral("A=1\nB=two words"));
    const TraceRequest back = again.request();
    QCOMPARE(back.command, request.command);
    QCOMPARE(back.workingDirectory, request.workingDirectory);
    QCOMPARE(back.environment, request.environment);
    // A bad environment line is refused with a reason.
    again.findChild<QPlainTextEdit*>()->setPlainText(QStringLiteral("A=1\nnot a pair"));
    again.show();
    again.accept();
    QVERIFY(again.isVisible());
    QVERIFY(again.problem().contains(u"not a pair"));
}

void TestTraceDialog::recentProgramsAreNewestFirstAndCapped()
{
    auto echo = [](int i) { return traceOf({ "/bin/echo", QString::number(i) }); };
    for (int i = 0; i < 10; ++i)
        tracehistory::remember(echo(i));
    QList<TraceRequest> recent = tracehistory::recent();
    QCOMPARE(recent.size(), tracehistory::kMaxRecent);
    for (int i = 0; i < recent.size(); ++i)
        QCOMPARE(recent[i].command, echo(9 - i).command);
    // Tracing one again moves it first, once.
    tracehistory::remember(echo(5));
    recent = tracehistory::recent();
    QCOMPARE(recent.size(), tracehistory::kMaxRecent);
    QCOMPARE(recent[0].command, echo(5).command);
    QCOMPARE(recent[1].command, echo(9).command);
    QCOMPARE(
        std::count_if(recent.begin(), recent.end(), [&](const auto& r) { return r.command == echo(5).command; }), 1);
    // The menu and the dialog's drop-down show them in that order.
    MainWindow window;
    auto* actions = window.findChild<TraceActions*>();
    QVERIFY(actions);
    emit actions->recentMenu()->aboutToShow();
    const QList<QAction*> entries = actions->recentMenu()->actions();
    QCOMPARE(entries.size(), tracehistory::kMaxRecent);
    QCOMPARE(entries[0]->text(), QStringLiteral("/bin/echo 5"));
    QCOMPARE(entries[1]->text(), QStringLiteral("/bin/echo 9"));
    TraceDialog dialog;
    QCOMPARE(dialog.findChild<QComboBox*>()->count(), tracehistory::kMaxRecent);
    QCOMPARE(dialog.findChild<QComboBox*>()->itemText(0), QStringLiteral("/bin/echo 5"));
    // Typing a program is not completed into one of those command lines; choosing one fills every field.
    dialog.show();
    QComboBox* program = dialog.findChild<QComboBox*>();
    program->lineEdit()->clear();
    QTest::keyClicks(program->lineEdit(), QStringLiteral("/bin/ec"));
    QCOMPARE(program->currentText(), QStringLiteral("/bin/ec"));
    program->setCurrentIndex(1);
    emit program->activated(1);
    QCOMPARE(dialog.request().command, echo(9).command);
    QCOMPARE(program->currentText(), QStringLiteral("/bin/echo"));
}

void TestTraceDialog::traceFromTheMenuEndsWithTheExitCode()
{
    QTemporaryDir dir;
    MainWindow window;
    window.show();
    auto* actions = window.findChild<TraceActions*>();
    QVERIFY(actions && actions->traceAction()->isEnabled());
    QCOMPARE(actions->traceAction()->shortcut(), QKeySequence(QStringLiteral("Ctrl+Shift+T")));
    // The shell writes its own pid ($$) where the test can read it.
    const TraceRequest request = traceOf({ "/bin/sh", "-c", "echo $$ > pid; exit 3" }, dir.path());
    QSignalSpy finished(&window.controller(), &RunController::finished);
    bool filled = false;
    QTimer::singleShot(0, this, [&] {
        auto* dialog = qobject_cast<TraceDialog*>(QApplication::activeModalWidget());
        QVERIFY(dialog);
        dialog->setRequest(request);
        filled = true;
        dialog->accept();
    });
    actions->traceAction()->trigger(); // the dialog, then the trace
    QVERIFY(filled);
    QVERIFY(!actions->traceAction()->isEnabled() || finished.count() == 1);
    QVERIFY(finished.count() == 1 || finished.wait(60000));

    QCOMPARE(window.document().outcome().scenario.name, QStringLiteral("trace"));
    QCOMPARE(window.document().title(), QStringLiteral("sh (traced)"));
    QCOMPARE(results(window, "exit_code"), QStringLiteral("3"));
    QVERIFY2(window.resultsText().contains(u"exited with code 3"), qPrintable(window.resultsText()));
    QVERIFY2(window.resultsText().startsWith(u"sh (traced) — completed"), qPrintable(window.resultsText()));
    QFile pidFile(dir.filePath(QStringLiteral("pid")));
    QVERIFY(pidFile.open(QIODevice::ReadOnly));
    const qint64 pid = pidFile.readAll().trimmed().toLongLong();
    QVERIFY(pid > 0);
    ProcessTableModel* model = window.processView()->model();
    bool found = false;
    for (int row = 0; row < model->rowCount(); ++row)
        found = found || model->process(row).pid == pid;
    QVERIFY2(found, qPrintable(QStringLiteral("pid %1 not in the process table").arg(pid)));
    // No scenario pretends to have run; the trace is remembered and can start again from the menu.
    auto* scenarios = window.findChild<QListWidget*>();
    QVERIFY(scenarios);
    QCOMPARE(scenarios->currentRow(), -1);
    QVERIFY(actions->traceAction()->isEnabled());
    QCOMPARE(tracehistory::recent().value(0).command, request.command);
    // Exports work on it as on a scenario's run.
    const QString image = dir.filePath(QStringLiteral("trace.png"));
    QString exportError = QStringLiteral("not done");
    window.exportImageTo(image, MainWindow::ExportScope::WholeRun, [&](const QString& error) { exportError = error; });
    QTRY_VERIFY_WITH_TIMEOUT(exportError != u"not done", 30000);
    QVERIFY2(exportError.isEmpty(), qPrintable(exportError));
    QVERIFY(QFileInfo(image).size() > 0);
}

void TestTraceDialog::stopEndsAStubbornProgram()
{
    MainWindow window;
    window.show();
    QSignalSpy finished(&window.controller(), &RunController::finished);
    window.startTrace(traceOf({ "/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done" }));
    QVERIFY(window.controller().isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(window.statusBar()->currentMessage().startsWith(u"Tracing /bin/sh (pid "), 30000);
    window.stopRun();
    QCOMPARE(window.statusBar()->currentMessage(), QStringLiteral("Stopping /bin/sh: SIGTERM, then SIGKILL after 2 s"));
    QVERIFY(finished.wait(60000));
    QCOMPARE(results(window, "signal"), QStringLiteral("SIGKILL"));
    QVERIFY(!window.controller().isRunning());
    // Usable again: another trace runs to its end.
    window.startTrace(traceOf({ "/bin/sh", "-c", "exit 0" }));
    QVERIFY(finished.wait(60000));
    QCOMPARE(results(window, "exit_code"), QStringLiteral("0"));
    QVERIFY(window.findChild<TraceActions*>()->traceAction()->isEnabled());
}

QTEST_MAIN(TestTraceDialog)
#include "tst_tracedialog.moc"
