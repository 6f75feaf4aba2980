#include "../support/privatesettings.h"
#include <charts/resultchart.h>
#include <mainwindow.h>
#include <panels/parameterform.h>
#include <scenarios/registry.h>
#include <timeline/timelineexport.h>
#include <timeline/timelineview.h>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QPalette>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <charts/counterchart.h>
#include <csignal>
#include <models/processtablemodel.h>
#include <optional>
#include <processes/processview.h>
#include <timeline/timelinepainter.h>

using namespace tl;
using namespace tl::ui;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void formIsGeneratedFromTheParameters();
    void togglingTheLockDuringARunChangesTheLockMode();
    void closingMidRunStopsCleanly();
    void runIsAvailableWhileThePictureCompletes();
    void afterARunTheAccountAndChartTellItsNumbers();
    void lostUpdateLinksShowTheirInterleaving();
    void exportMatchesTheVisibleLanes();
    void selectionShowsTheShareOfEachState();
    void darkThemeDarkensTheTimeline();
    void chartColoursStayAcrossThemes();
    void killButtonCrashesTheSelectedChildAndTheRunCarriesOn();

private:
    // Runs the selected scenario with `values` (editor name -> value) and waits for it to end.
    static void runWith(MainWindow& window, const QString& scenario, const QMap<QString, QVariant>& values);
};

void TestMainWindow::runWith(MainWindow& window, const QString& scenario, const QMap<QString, QVariant>& values)
{
    QVERIFY(window.selectScenario(scenario));
    for (auto it = values.begin(); it != values.end(); ++it) {
        QWidget* editor = window.parameterForm()->editorFor(it.key());
        if (auto* spin = qobject_cast<QSpinBox*>(editor))
            spin->setValue(it.value().toInt());
        else if (auto* combo = qobject_cast<QComboBox*>(editor))
            combo->setCurrentText(it.value().toString());
    }
    QSignalSpy finished(&window.controller(), &RunController::finished);
    window.startRun();
    QVERIFY(finished.wait(60000));
}

void TestMainWindow::initTestCase()
{
    test::usePrivateSettings(QStringLiteral("tst_mainwindow"));
}

void TestMainWindow::formIsGeneratedFromTheParameters()
{
    MainWindow window;
    for (const auto& info : scenarioCatalog()) {
        QVERIFY(window.selectScenario(info.name));
        for (const auto& spec : info.params) {
            QWidget* editor = window.parameterForm()->editorFor(spec.name);
            QVERIFY2(editor, qPrintable(spec.name));
            QCOMPARE(editor->accessibleName(), spec.name);
            QVERIFY(editor->toolTip().contains(spec.help));
            switch (spec.type) {
            case ParamType::Integer: {
                auto* spin = qobject_cast<QSpinBox*>(editor);
                QVERIFY(spin);
                QCOMPARE(spin->minimum(), int(spec.min));
                QCOMPARE(spin->maximum(), int(spec.max));
                QCOMPARE(spin->value(), int(spec.defaultValue));
                break;
            }
            case ParamType::Boolean:
                QVERIFY(qobject_cast<QCheckBox*>(editor));
                break;
            case ParamType::Choice: {
                auto* combo = qobject_cast<QComboBox*>(editor);
                QVERIFY(combo);
                QCOMPARE(combo->count(), spec.choices.size());
                break;
            }
            }
        }
    }
}

void TestMainWindow::togglingTheLockDuringARunChangesTheLockMode()
{
    MainWindow window;
    QVERIFY(window.selectScenario(QStringLiteral("race-counter")));
    auto* increments = qobject_cast<QSpinBox*>(window.parameterForm()->editorFor(QStringLiteral("increments")));
    auto* workers = qobject_cast<QSpinBox*>(window.parameterForm()->editorFor(QStringLiteral("workers")));
    auto* lock = qobject_cast<QComboBox*>(window.parameterForm()->editorFor(QStringLiteral("lock")));
    increments->setValue(10'000'000);
    lock->setCurrentText(QStringLiteral("mutex"));

    QSignalSpy batches(&window.controller(), &RunController::batchReady);
    QSignalSpy finished(&window.controller(), &RunController::finished);
    window.startRun();
    QVERIFY(batches.wait(10000));
    QCOMPARE(window.controller().currentValue(QStringLiteral("lock")), std::optional<std::int64_t>(1));
    QVERIFY(lock->isEnabled()); // live parameters stay editable
    QVERIFY(!workers->isEnabled()); // fixed ones do not
    lock->setCurrentText(QStringLiteral("none"));
    QCOMPARE(window.controller().currentValue(QStringLiteral("lock")), std::optional<std::int64_t>(0));

    window.stopRun();
    QVERIFY(finished.wait(5000));
    QVERIFY(workers->isEnabled());
    QVERIFY(window.timeline()->geometry().span() > 0);
}

void TestMainWindow::closingMidRunStopsCleanly()
{
    const auto threadsBefore
        = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size();
    auto* window = new MainWindow;
    QVERIFY(window->selectScenario(QStringLiteral("threads")));
    qobject_cast<QSpinBox*>(window->parameterForm()->editorFor(QStringLiteral("sleep_ms")))->setValue(600000);
    QSignalSpy batches(&window->controller(), &RunController::batchReady);
    window->startRun();
    QVERIFY(batches.wait(10000));
    QVERIFY(window->close());
    // Every thread the run made (workers, collector, runner) is gone once close() returns.
    const auto threadsAfter
        = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size();
    QCOMPARE(threadsAfter, threadsBefore);
    delete window;
}

// Once the workers are done, Run is enabled while the picture completes (the status bar counts down what is
// left); starting then replaces the run: the window ends showing the new run's outcome, not the old one's.
void TestMainWindow::runIsAvailableWhileThePictureCompletes()
{
    qputenv("THREADLAB_SLICE_NS", "20000"); // the collector behind the workers, whatever the machine
    MainWindow window;
    QAction* run = nullptr;
    QAction* stop = nullptr;
    for (QAction* action : window.findChildren<QAction*>()) {
        if (action->shortcut() == QKeySequence(Qt::Key_F5))
            run = action;
        if (action->shortcut() == QKeySequence(Qt::SHIFT | Qt::Key_F5))
            stop = action;
    }
    QVERIFY(run && stop);
    QVERIFY(window.selectScenario(QStringLiteral("lock-contention")));
    QSignalSpy workersDone(&window.controller(), &RunController::workersDone);
    QSignalSpy finished(&window.controller(), &RunController::finished);
    window.startRun();
    QVERIFY(!run->isEnabled());
    QVERIFY(workersDone.wait(60000));
    QVERIFY(window.document().isCompleting());
    QVERIFY(run->isEnabled());
    QVERIFY(!stop->isEnabled());
    QVERIFY2(window.statusBar()->findChildren<QLabel*>().front()->text().startsWith(u"Workers done"),
        qPrintable(window.statusBar()->findChildren<QLabel*>().front()->text()));
    QVERIFY(finished.isEmpty());
    window.startRun();
    QVERIFY(finished.wait(60000));
    qunsetenv("THREADLAB_SLICE_NS");
    QCOMPARE(finished.size(), 1);
    QCOMPARE(workersDone.size(), 2);
    QCOMPARE(window.document().trace()->startNs, finished.first().first().value<RunOutcome>().trace->startNs);
    QVERIFY(!window.document().isLive());
    QVERIFY(run->isEnabled());
}

void TestMainWindow::afterARunTheAccountAndChartTellItsNumbers()
{
    MainWindow window;
    // The race forced, not hoped for (see lostUpdateLinksShowTheirInterleaving): the start barrier, and slow
    // motion holding every increment 1 ms between its read and its write.
    runWith(window, QStringLiteral("race-counter"),
        { { QStringLiteral("lock"), QStringLiteral("none") }, { QStringLiteral("workers"), 4 },
            { QStringLiteral("increments"), 400 }, { QStringLiteral("slow_motion"), 1000 } });
    const QString text = window.resultsText();
    QVERIFY2(text.contains(u"updates were lost"), qPrintable(text));
    QVERIFY(text.contains(QRegularExpression(QStringLiteral("of 1\\s600 updates were lost")))); // grouped digits
    QCOMPARE(window.counterChart()->seriesCount(), 3); // expected, actual, lost_updates
    for (int s = 0; s < 3; ++s)
        QVERIFY(window.counterChart()->pointCount(s) >= 2);

    runWith(window, QStringLiteral("race-counter"),
        { { QStringLiteral("lock"), QStringLiteral("mutex") }, { QStringLiteral("workers"), 5 },
            { QStringLiteral("increments"), 100000 }, { QStringLiteral("slow_motion"), 0 } });
    QVERIFY2(window.resultsText().contains(u"No update was lost"), qPrintable(window.resultsText()));
    QVERIFY(window.resultsText().contains(u"of their time waiting"));
    // The figures as the lesson reads them (race-counter's declared order), not the JSON's alphabetical one.
    const QStringList lines = window.resultsText().split(u'\n'); // a line per cell
    auto rowOf = [&](const QString& label) { return lines.indexOf(label); };
    QVERIFY2(rowOf(QStringLiteral("expected")) >= 0, qPrintable(window.resultsText()));
    QVERIFY(rowOf(QStringLiteral("expected")) < rowOf(QStringLiteral("actual")));
    QVERIFY(rowOf(QStringLiteral("actual")) < rowOf(QStringLiteral("lost updates")));
}

void TestMainWindow::lostUpdateLinksShowTheirInterleaving()
{
    MainWindow window;
    // Forced, not hoped for: the start barrier releases the workers together, and slow motion keeps each one
    // between its read and its write 1 ms of every increment, for 400 increments. For no update to be lost,
    // the scheduler would have to slip each worker's whole 1 ms step into another's few-µs gap, 400 times.
    // (Without it, on a loaded machine a worker can finish inside one time slice and lose nothing.)
    runWith(window, QStringLiteral("race-counter"),
        { { QStringLiteral("lock"), QStringLiteral("none") }, { QStringLiteral("workers"), 4 },
            { QStringLiteral("inspect"), 400 }, { QStringLiteral("slow_motion"), 1000 } });
    const QRegularExpressionMatch link
        = QRegularExpression(QStringLiteral("show:(\\d+):(\\d+)")).match(window.resultsHtml());
    QVERIFY2(link.hasMatch(), "no lost update was listed");
    const std::int64_t from = link.captured(1).toLongLong();
    const std::int64_t to = link.captured(2).toLongLong();
    window.showMoment(QUrl(link.captured(0)));
    TimelineView* view = window.timeline();
    QVERIFY(view->visibleStart() <= from && view->visibleEnd() >= to);
    // Zoomed to the interleaving with a margin either side, not to the run (however long the interleaving
    // took on this machine), unless the margins reach past the run (a worker descheduled mid-increment on a
    // busy machine can make one interleaving a good part of it): the view stays inside the run.
    const std::int64_t margin = std::max<std::int64_t>(to - from, 2'000);
    const std::int64_t run = std::max<std::int64_t>(view->data()->endNs - view->data()->startNs, 1);
    QCOMPARE(
        view->visibleEnd() - view->visibleStart(), std::min(std::max<std::int64_t>(to - from, 1) + 2 * margin, run));
    QVERIFY(!window.selectionText().isEmpty()); // the interleaving is selected
}

void TestMainWindow::exportMatchesTheVisibleLanes()
{
    MainWindow window;
    // A range in which every worker has spans: from the latest first span to the earliest last one (workers
    // start and end at slightly different times, and a fixed range could miss a late starter). On a loaded
    // machine the workers may run one after another: try again a bounded number of times.
    TimelineView* view = window.timeline();
    std::int64_t start = 0;
    std::int64_t end = 0;
    for (int attempt = 0; attempt < 10 && start >= end; ++attempt) {
        runWith(window, QStringLiteral("lock-contention"),
            { { QStringLiteral("workers"), 5 }, { QStringLiteral("iterations"), 200 } });
        start = view->visibleStart();
        end = view->visibleEnd();
        for (const auto& lane : view->data()->lanes) {
            QVERIFY(!lane.spans.empty());
            start = std::max(start, lane.spans.front().start);
            end = std::min(end, lane.spans.back().end);
        }
    }
    QVERIFY2(start < end, "in 10 runs the workers never ran at the same time");
    view->setVisibleRange(start, end);

    QTemporaryDir dir;
    const QString visible = dir.filePath(QStringLiteral("visible.png"));
    const QString whole = dir.filePath(QStringLiteral("whole.svg"));
    std::optional<QString> visibleError, wholeError;
    window.exportImageTo(visible, MainWindow::ExportScope::VisibleRange, [&](const QString& e) { visibleError = e; });
    window.exportImageTo(whole, MainWindow::ExportScope::WholeRun, [&](const QString& e) { wholeError = e; });
    QTRY_VERIFY_WITH_TIMEOUT(visibleError && wholeError, 60000); // the results come back through the event loop
    QCOMPARE(*visibleError, QString());
    QCOMPARE(*wholeError, QString());

    QImage image(visible);
    QVERIFY(!image.isNull());
    // Laid out as the export was: at the image's size, with a headline (lock-contention's account has one).
    const auto layout = exportLayout(*view->data(), { image.size(), QStringLiteral("the run's outcome") });
    QCOMPARE(int(layout.lanes.size()), 5);
    for (const QRectF& lane : layout.lanes) {
        int coloured = 0;
        for (int x = int(lane.left()); x < int(lane.right()); ++x)
            for (int s = 0; s < kLaneStateCount; ++s)
                coloured += image.pixel(x, int(lane.center().y())) == stateColor(LaneState(s)).rgb();
        QVERIFY2(coloured > 10, "a visible lane is missing from the export");
    }
    QFile svg(whole);
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray content = svg.readAll();
    for (int i = 1; i <= 5; ++i)
        QVERIFY(content.contains(QStringLiteral("worker-%1").arg(i).toUtf8()));
}

void TestMainWindow::selectionShowsTheShareOfEachState()
{
    MainWindow window;
    runWith(
        window, QStringLiteral("threads"), { { QStringLiteral("threads"), 3 }, { QStringLiteral("sleep_ms"), 200 } });
    TimelineView* view = window.timeline();
    view->setSelection(view->visibleStart(), view->visibleEnd());
    const QString text = window.selectionText();
    QVERIFY2(text.contains(u"sleeping"), qPrintable(text));
    QVERIFY(text.contains(u'%'));
    view->clearSelection();
    QVERIFY(window.selectionText().isEmpty());
}

void TestMainWindow::darkThemeDarkensTheTimeline()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    // The new palette reaches widgets through an event, hence QTRY.
    window.applyTheme(MainWindow::Theme::Dark);
    QTRY_VERIFY(window.timeline()->grab().toImage().pixelColor(5, 5).lightness() < 80);
    window.applyTheme(MainWindow::Theme::Light);
    QTRY_VERIFY(window.timeline()->grab().toImage().pixelColor(5, 5).lightness() > 200);
    window.applyTheme(MainWindow::Theme::System);
    QCOMPARE(QSettings().value(QStringLiteral("theme")).toInt(), int(MainWindow::Theme::System));
}

void TestMainWindow::killButtonCrashesTheSelectedChildAndTheRunCarriesOn()
{
    MainWindow window;
    QVERIFY(window.selectScenario(QStringLiteral("child-processes")));
    qobject_cast<QSpinBox*>(window.parameterForm()->editorFor(QStringLiteral("work_ms")))->setValue(600000);
    QSignalSpy finished(&window.controller(), &RunController::finished);
    window.startRun();
    ProcessTableModel* model = window.processView()->model();
    auto running = [&](int row) { return model->process(row).state == ProcessInfo::State::Running; };
    QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() == 4 && running(1) && running(2) && running(3), 20000);

    // Select Child-1 and kill it: the row turns crashed, its siblings keep running, the selection stays.
    QTableView* table = window.processView()->table();
    table->setCurrentIndex(model->index(2, ProcessTableModel::Name));
    QCOMPARE(model->process(2).name, QStringLiteral("Child-1"));
    auto* kill = window.processView()->findChild<QPushButton*>();
    QVERIFY(kill && kill->isEnabled());
    kill->click();
    QTRY_COMPARE_WITH_TIMEOUT(model->process(2).state, ProcessInfo::State::Crashed, 10000);
    QCOMPARE(model->process(2).signal, SIGKILL);
    QVERIFY(running(1) && running(3));
    QCOMPARE(table->currentIndex().row(), 2);
    QVERIFY(!kill->isEnabled()); // nothing left to kill in that row
    QVERIFY(finished.isEmpty());

    window.stopRun();
    QVERIFY(finished.wait(10000));
    QCOMPARE(model->process(2).state, ProcessInfo::State::Crashed);
    QCOMPARE(model->process(1).state, ProcessInfo::State::Stopped);
}

void TestMainWindow::chartColoursStayAcrossThemes()
{
    // Which colour means "threads" must not change when the theme does (Qt Charts' themes reset them).
    ResultChart chart;
    const QJsonObject spec { { "kind", "bars" }, { "title", "t" }, { "categories", QJsonArray { "a" } },
        { "series",
            QJsonArray { QJsonObject { { "name", "threads" }, { "values", QJsonArray { 1 } } },
                QJsonObject { { "name", "processes" }, { "values", QJsonArray { 2 } } } } } };
    QVERIFY(chart.show(spec));
    const QList<QColor> light = chart.seriesColours();
    QCOMPARE(light.size(), 2);
    QVERIFY(light[0] != light[1]);
    QPalette dark = chart.palette();
    dark.setColor(QPalette::Base, QColor(0x1e, 0x20, 0x24));
    chart.setPalette(dark);
    QCOMPARE(chart.seriesColours(), light);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
