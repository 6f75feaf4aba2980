#include <mainwindow.h>
#include <parameterform.h>
#include <scenarios/registry.h>
#include <timeline/timelineview.h>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

using namespace tl;
using namespace tl::ui;

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void formIsGeneratedFromTheParameters();
    void togglingTheLockDuringARunChangesTheLockMode();
    void closingMidRunStopsCleanly();
};

void TestMainWindow::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("ThreadLabTests"));
    QSettings().clear();
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

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
