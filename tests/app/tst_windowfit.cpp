// The window at the smallest size it is taught on (1024×700), offscreen: what a class reads off it is all
// there, whole. Each check measures the text against the room the widget gives it.
#include "../support/privatesettings.h"
#include <charts/resultchart.h>
#include <document/rundocument.h>
#include <mainwindow.h>
#include <panels/parameterform.h>
#include <panels/scenariolistpanel.h>
#include <panels/statusbarpanel.h>
#include <panels/timelinepanel.h>
#include <processes/processview.h>
#include <scenarios/registry.h>

#include <QAbstractTextDocumentLayout>
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFormLayout>
#include <QGraphicsScene>
#include <QGraphicsTextItem>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTest>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextTable>
#include <cmath>

using namespace tl;
using namespace tl::ui;

class TestWindowFit : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void scenarioListShowsEightEntries();
    void afterARunResultsTablesAndChartAreWhole();
    void fromRunToTheFirstLanesTheWindowSaysItIsStarting();

private:
    static void showSmall(MainWindow& window);
    static QString wordsBrokenIn(const QTextDocument& document);
    static QString clippedChartLabels(ResultChart& chart);
};

void TestWindowFit::initTestCase()
{
    test::usePrivateSettings(QStringLiteral("tst_windowfit")); // no saved splitter sizes: as at a first start
}

void TestWindowFit::showSmall(MainWindow& window)
{
    window.resize(1024, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.size(), QSize(1024, 700));
}

// Where a line of a table cell starts inside a word ("succe|eded"), the cell's text; empty when none does.
QString TestWindowFit::wordsBrokenIn(const QTextDocument& document)
{
    QStringList broken;
    for (QTextBlock block = document.begin(); block.isValid(); block = block.next()) {
        if (!QTextCursor(block).currentTable())
            continue;
        const QString text = block.text();
        const QTextLayout* layout = block.layout();
        for (int i = 1; i < layout->lineCount(); ++i) {
            const int at = layout->lineAt(i).textStart();
            if (at > 0 && at < text.size() && text[at - 1].isLetterOrNumber() && text[at].isLetterOrNumber())
                broken << text.left(at) + u'|' + text.mid(at);
        }
    }
    return broken.join(QStringLiteral(", "));
}

// Each bar's value and each category's name against the room the chart gives it; empty when all fit.
QString TestWindowFit::clippedChartLabels(ResultChart& chart)
{
    QChart* c = chart.findChild<QChartView*>()->chart();
    auto* bars = qobject_cast<QBarSeries*>(c->series().value(0));
    auto* axis = bars ? qobject_cast<QBarCategoryAxis*>(bars->attachedAxes().value(0)) : nullptr;
    if (!axis)
        return QStringLiteral("no bar chart");
    QStringList clipped;
    // What the chart drew: Qt truncates a label that it finds too wide to "xx...".
    for (QGraphicsItem* item : c->scene()->items())
        if (auto* text = dynamic_cast<QGraphicsTextItem*>(item);
            text && text->isVisible() && text->toPlainText().endsWith(QStringLiteral("...")))
            clipped << QStringLiteral("drawn as \"%1\"").arg(text->toPlainText());
    const QFontMetricsF axisFont(axis->labelsFont());
    const double categoryWidth = c->plotArea().width() / axis->count();
    for (const QString& category : axis->categories())
        for (const QString& line : category.split(QStringLiteral("<br>")))
            if (axisFont.horizontalAdvance(line) > categoryWidth)
                clipped << QStringLiteral("category \"%1\": %2 px in %3")
                               .arg(line)
                               .arg(axisFont.horizontalAdvance(line))
                               .arg(categoryWidth);
    const double barWidth = chart.barWidthPx();
    const bool upright = std::fmod(qAbs(bars->labelsAngle()), 180) == 90;
    for (QBarSet* set : bars->barSets()) {
        const QFontMetricsF font(set->labelFont());
        for (int i = 0; i < set->count(); ++i) {
            const QString label = QString::number(set->at(i), 'g', 9);
            // Upright, a label needs a line's height across the bar and its length up the plot.
            const double across = upright ? font.height() : font.horizontalAdvance(label);
            if (across > barWidth || (upright && font.horizontalAdvance(label) > c->plotArea().height()))
                clipped << QStringLiteral("bar \"%1\": %2 px in %3").arg(label).arg(across).arg(barWidth);
        }
    }
    return clipped.join(QStringLiteral("; "));
}

void TestWindowFit::scenarioListShowsEightEntries()
{
    MainWindow window;
    showSmall(window);
    auto* list = window.findChild<QListWidget*>();
    QVERIFY(list);
    // Each scenario chosen in turn: its parameter form (queue-pipe has ten) shares the column with the list.
    for (const ScenarioInfo& info : scenarioCatalog()) {
        QVERIFY(window.selectScenario(info.name));
        QCoreApplication::processEvents(); // the list lays its entries out again at its new height
        QVERIFY2(window.minimumSizeHint().height() <= 700,
            qPrintable(QStringLiteral("%1 needs %2 px").arg(info.name).arg(window.minimumSizeHint().height())));
        int whole = 0;
        for (int i = 0; i < list->count(); ++i)
            whole += list->viewport()->rect().contains(list->visualItemRect(list->item(i)));
        QVERIFY2(whole >= ScenarioListPanel::kMinShown,
            qPrintable(QStringLiteral("%1: %2 of %3 scenarios in view").arg(info.name).arg(whole).arg(list->count())));
        // Its parameters in view: every row, or 4 of them where the form scrolls (it was squashed to one cut
        // row of 18 px after the first scenario, measured before the new rows were shown).
        QCoreApplication::processEvents();
        auto* form = window.findChild<QFormLayout*>();
        QVERIFY(form && form->parentWidget());
        int rowsInView = 0;
        for (int r = 0; r < form->rowCount(); ++r) {
            QWidget* field = form->itemAt(r, QFormLayout::FieldRole)->widget();
            rowsInView += !field->visibleRegion().isEmpty()
                && field->visibleRegion().boundingRect().height() == field->height();
        }
        QVERIFY2(rowsInView >= std::min(form->rowCount(), 4),
            qPrintable(QStringLiteral("%1: %2 of %3 parameters in view")
                           .arg(info.name)
                           .arg(rowsInView)
                           .arg(form->rowCount())));
    }
}

void TestWindowFit::afterARunResultsTablesAndChartAreWhole()
{
    // threads-vs-processes has it all at once: child processes in their table, a results table, a bar chart.
    MainWindow window;
    showSmall(window);
    QVERIFY(window.selectScenario(QStringLiteral("threads-vs-processes")));
    for (const auto& [name, value] : { std::pair { "workers", 2 }, { "job_ms", 1 }, { "updates", 100 } })
        qobject_cast<QSpinBox*>(window.parameterForm()->editorFor(QString::fromLatin1(name)))->setValue(value);
    QSignalSpy finished(&window.controller(), &RunController::finished);
    window.startRun();
    QVERIFY(finished.wait(60000));
    QCoreApplication::processEvents(); // the panels show themselves, the splitters lay them out

    QTextBrowser* results = nullptr;
    for (auto* browser : window.findChildren<QTextBrowser*>())
        if (browser->accessibleName() == u"Results")
            results = browser;
    QVERIFY(results);
    const int lines = results->viewport()->height() / results->fontMetrics().lineSpacing();
    QVERIFY2(lines >= 6, qPrintable(QStringLiteral("%1 lines of results in view").arg(lines)));
    const QString broken = wordsBrokenIn(*results->document());
    QVERIFY2(broken.isEmpty(), qPrintable(QStringLiteral("table cells broken inside a word: ") + broken));

    auto* processes = window.processView()->findChild<QTableView*>();
    QVERIFY(processes->isVisible());
    const QHeaderView* header = processes->horizontalHeader();
    for (int c = 0; c < header->count(); ++c) {
        const QString title = processes->model()->headerData(c, Qt::Horizontal).toString();
        const int needs = header->fontMetrics().horizontalAdvance(title);
        QVERIFY2(header->sectionSize(c) >= needs && header->sectionViewportPosition(c) + needs <= header->width(),
            qPrintable(QStringLiteral("process column \"%1\": %2 px at %3 in a %4 px table")
                           .arg(title)
                           .arg(header->sectionSize(c))
                           .arg(header->sectionViewportPosition(c))
                           .arg(header->width())));
    }

    QVERIFY(window.resultChart()->isVisible());
    const QString clipped = clippedChartLabels(*window.resultChart());
    QVERIFY2(clipped.isEmpty(), qPrintable(clipped));
}

void TestWindowFit::fromRunToTheFirstLanesTheWindowSaysItIsStarting()
{
    // Between Run and the first batch (0.1-0.5 s) the window said "Pick a scenario and press Run" and "Ready".
    RunDocument document;
    TimelinePanel timeline(&document);
    StatusBarPanel status(&document);
    const auto catalog = scenarioCatalog();
    const ScenarioInfo& info = catalog.front();
    document.start(info, ParamSet(info.params));
    QVERIFY(timeline.startingLabel()->isVisibleTo(&timeline));
    QVERIFY2(timeline.startingLabel()->text().startsWith(u"Starting "), qPrintable(timeline.startingLabel()->text()));
    const QString state = status.findChildren<QLabel*>().front()->text();
    QVERIFY2(state.startsWith(u"Starting "), qPrintable(state));

    auto batch = std::make_shared<TraceBatch>();
    batch->workers = { { QStringLiteral("worker-1"), QStringLiteral("ThreadLab"), 4242, 4243 } };
    batch->lanes.resize(batch->workers.size());
    batch->nowNs = 2'000'000'000;
    document.appendBatch(batch);
    QVERIFY(!timeline.startingLabel()->isVisibleTo(&timeline));
}

QTEST_MAIN(TestWindowFit)
#include "tst_windowfit.moc"
