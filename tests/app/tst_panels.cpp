// Each panel alone, offscreen, fed through a RunDocument by hand: it follows the run by itself.
#include "../support/privatesettings.h"
#include <charts/counterchart.h>
#include <document/rundocument.h>
#include <models/processtablemodel.h>
#include <panels/parameterform.h>
#include <panels/parameterspanel.h>
#include <panels/resultspanel.h>
#include <panels/scenariolistpanel.h>
#include <panels/sidepanels.h>
#include <panels/statusbarpanel.h>
#include <panels/timelinepanel.h>
#include <processes/processview.h>
#include <scenarios/registry.h>
#include <timeline/timelineview.h>

#include <QAction>
#include <QJsonArray>
#include <QLabel>
#include <QListWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>

using namespace tl;
using namespace tl::ui;

class TestPanels : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void resultsFollowTheRunFromLiveToFinished();
    void statusBarSaysHowFarTheLiveViewLags();
    void timelineShowsLanesByCpuOnlyOnceFinished();
    void sidePanelsShowOnlyWhatTheRunHas();
    void resultChartAndItsExportFollowTheResults();
    void scenarioListIsLockedWhileLive();
    void parametersKeepOnlyLiveOnesEditableWhileLive();

private:
    static ScenarioInfo scenario(const QString& name);
    static void start(RunDocument& document);
    static TraceBatchPtr batch(void (*fill)(TraceBatch&) = nullptr);
    static RunOutcome outcome(const QJsonObject& results = {});
    static QString labelsOf(const QWidget& widget);
};

void TestPanels::initTestCase()
{
    test::usePrivateSettings(QStringLiteral("tst_panels"));
}

ScenarioInfo TestPanels::scenario(const QString& name)
{
    for (const ScenarioInfo& info : scenarioCatalog())
        if (info.name == name)
            return info;
    return {};
}

void TestPanels::start(RunDocument& document)
{
    const ScenarioInfo info = scenario(QStringLiteral("race-counter"));
    document.start(info, ParamSet(info.params));
}

TraceBatchPtr TestPanels::batch(void (*fill)(TraceBatch&))
{
    auto b = std::make_shared<TraceBatch>();
    b->workers = { { QStringLiteral("worker-1"), QStringLiteral("ThreadLab"), 4242, 4243 } };
    b->lanes.resize(b->workers.size()); // a batch has a delta for every worker, empty or not
    b->nowNs = 2'000'000'000;
    if (fill)
        fill(*b);
    return b;
}

RunOutcome TestPanels::outcome(const QJsonObject& results)
{
    RunOutcome o;
    o.scenario = scenario(QStringLiteral("race-counter"));
    o.params = ParamSet(o.scenario.params);
    o.trace = std::make_shared<Trace>();
    o.results = results;
    o.durationNs = 5'000'000;
    return o;
}

QString TestPanels::labelsOf(const QWidget& widget)
{
    QStringList texts;
    for (const QLabel* label : widget.findChildren<QLabel*>())
        texts << label->text();
    return texts.join(u'\n');
}

void TestPanels::resultsFollowTheRunFromLiveToFinished()
{
    RunDocument document;
    ResultsPanel results(&document);
    QSignalSpy moments(&results, &ResultsPanel::momentClicked);
    start(document);
    QVERIFY(results.toPlainText().isEmpty());
    document.appendBatch(batch([](TraceBatch& b) { b.liveResults = QJsonObject { { "expected", 40 } }; }));
    QVERIFY2(results.toPlainText().startsWith(u"Live"), qPrintable(results.toPlainText()));
    document.finish(outcome({ { "expected", 40 }, { "actual", 40 }, { "lost_updates", 0 } }));
    QVERIFY2(results.toPlainText().startsWith(u"race-counter — completed in"), qPrintable(results.toPlainText()));
    QVERIFY(results.toPlainText().contains(u"No update was lost"));
    emit results.anchorClicked(QUrl(QStringLiteral("show:1:2")));
    QCOMPARE(moments.size(), 1);
    start(document); // the next run starts with an empty page
    QVERIFY(results.toPlainText().isEmpty());
}

void TestPanels::statusBarSaysHowFarTheLiveViewLags()
{
    RunDocument document;
    StatusBarPanel status(&document);
    QCOMPARE(labelsOf(status).split(u'\n').first(), QStringLiteral("Ready"));
    start(document);
    document.appendBatch(batch([](TraceBatch& b) {
        b.lagNs = 1'500'000'000;
        b.pendingEvents = 12;
        b.totalEvents = 99;
        b.droppedEvents = 7;
    }));
    const QString live = labelsOf(status);
    QVERIFY2(live.contains(u"Running race-counter — "), qPrintable(live));
    QVERIFY2(live.contains(u" — live view 1.5 s behind (12 events waiting)"), qPrintable(live));
    QVERIFY2(live.contains(u"<b>7 lost</b>"), qPrintable(live));
    status.showStopping();
    QVERIFY(labelsOf(status).contains(u"Stopping…"));
    document.finish(outcome());
    QVERIFY2(labelsOf(status).contains(u"Finished (completed)"), qPrintable(labelsOf(status)));
    QVERIFY(labelsOf(status).contains(u" · off-CPU time: "));
}

void TestPanels::timelineShowsLanesByCpuOnlyOnceFinished()
{
    RunDocument document;
    TimelinePanel timeline(&document);
    QAction* byCpu = timeline.lanesByCpuAction();
    start(document);
    byCpu->setChecked(true);
    QCOMPARE(document.lanes(), RunDocument::Lanes::ByCpu);
    QVERIFY(QSettings().value(QStringLiteral("lanesByCpu")).toBool());
    document.appendBatch(batch([](TraceBatch& b) {
        b.lanes[0].spans = { { 1'000'000, 1'020'000, 0, 0, LaneState::Running } };
    }));
    QCOMPARE(timeline.view()->data(), document.timelineSnapshot()); // live: by worker whatever the mode
    QCOMPARE(timeline.view()->data()->lanes.size(), std::size_t(1));
    document.finish(outcome());
    QVERIFY(timeline.view()->data() != document.timelineSnapshot());
    QCOMPARE(timeline.view()->data(), document.shownTimeline());
    byCpu->setChecked(false);
    QCOMPARE(timeline.view()->data(), document.timelineSnapshot());
    timeline.showMoment(QUrl(QStringLiteral("show:1000000:1010000")));
    QVERIFY(timeline.view()->hasSelection());
    QVERIFY2(timeline.selectionText().contains(u"running 100%"), qPrintable(timeline.selectionText()));
}

void TestPanels::sidePanelsShowOnlyWhatTheRunHas()
{
    RunDocument document;
    ProcessesPanel processes(&document);
    WaitForPanel waitFor(&document);
    CountersPanel counters(&document);
    start(document);
    document.appendBatch(batch());
    QVERIFY(processes.isHidden());
    QVERIFY(waitFor.isHidden());
    QVERIFY(counters.isHidden());
    document.appendBatch(batch([](TraceBatch& b) {
        ProcessInfo child;
        child.pid = 4250;
        child.name = QStringLiteral("child");
        b.processes = { child };
        b.lockNames = { QString(), QStringLiteral("a"), QStringLiteral("b") };
        b.counterNames = { QStringLiteral("lost_updates") };
        b.samples = { { 1'000'000'000, 3, 0 }, { 1'500'000'000, 5, 0 } };
    }));
    QVERIFY(!processes.isHidden());
    QCOMPARE(processes.view()->model()->rowCount(), 1);
    QVERIFY(!waitFor.isHidden());
    QVERIFY(!counters.isHidden());
    QCOMPARE(counters.chart()->seriesCount(), 1);
    start(document); // the next run starts without them
    QVERIFY(processes.isHidden());
    QVERIFY(waitFor.isHidden());
}

void TestPanels::resultChartAndItsExportFollowTheResults()
{
    RunDocument document;
    ResultChartPanel chart(&document);
    QVERIFY(chart.isHidden());
    QVERIFY(!chart.exportAction()->isEnabled());
    start(document);
    const QJsonObject spec { { "kind", "bars" }, { "title", "t" }, { "categories", QJsonArray { "a" } },
        { "series", QJsonArray { QJsonObject { { "name", "threads" }, { "values", QJsonArray { 1 } } } } } };
    document.finish(outcome({ { "chart", spec } }));
    QVERIFY(!chart.isHidden());
    QVERIFY(chart.exportAction()->isEnabled());
    start(document);
    QVERIFY(chart.isHidden());
    document.finish(outcome());
    QVERIFY(chart.isHidden());
    QVERIFY(!chart.exportAction()->isEnabled());
}

void TestPanels::scenarioListIsLockedWhileLive()
{
    RunDocument document;
    ScenarioListPanel list(&document);
    QSignalSpy chosen(&list, &ScenarioListPanel::scenarioChosen);
    QVERIFY(list.selectScenario(QStringLiteral("race-counter")));
    QCOMPARE(chosen.size(), 1);
    QCOMPARE(list.current()->name, QStringLiteral("race-counter"));
    QCOMPARE(QSettings().value(QStringLiteral("lastScenario")).toString(), QStringLiteral("race-counter"));
    QVERIFY(!list.selectScenario(QStringLiteral("no-such-scenario")));
    auto* widget = list.findChild<QListWidget*>();
    start(document);
    QVERIFY(!widget->isEnabled());
    document.finish(outcome());
    QVERIFY(widget->isEnabled());
}

void TestPanels::parametersKeepOnlyLiveOnesEditableWhileLive()
{
    RunDocument document;
    ParametersPanel parameters(&document);
    parameters.showScenario(scenario(QStringLiteral("race-counter")));
    QWidget* lock = parameters.form()->editorFor(QStringLiteral("lock")); // may change while running
    QWidget* workers = parameters.form()->editorFor(QStringLiteral("workers"));
    QVERIFY(lock && workers);
    start(document);
    QVERIFY(lock->isEnabled());
    QVERIFY(!workers->isEnabled());
    document.finish(outcome());
    QVERIFY(workers->isEnabled());
    parameters.saveParams();
    QVERIFY(QSettings().contains(QStringLiteral("params/race-counter/workers")));
}

QTEST_MAIN(TestPanels)
#include "tst_panels.moc"
