// The results panel's page as a pure function of the run: what a reader relies on is in it.
#include "../support/lossfixture.h"

#include <document/resultshtml.h>
#include <scenarios/registry.h>

#include <QJsonArray>
#include <QRegularExpression>
#include <QTest>
#include <QTextDocument>

using namespace tl;
using namespace tl::ui;

class TestResultsHtml : public QObject {
    Q_OBJECT
private slots:
    void lostUpdatesAreCountedAndHeadlined();
    void eachLostUpdateLinksToItsMoment();
    void droppedEventsAreAccountedFor();
    void aStoppedOrFailedRunSaysSo();
    void liveResultsShowTheLatestCounterValues();
    void theAccountReadsAsPlainText();

private:
    static RunOutcome raceOutcome(std::shared_ptr<const Trace> trace);
    static QString finishedHtml(const RunOutcome& outcome);
    static QString plainText(const QString& html);
};

RunOutcome TestResultsHtml::raceOutcome(std::shared_ptr<const Trace> trace)
{
    RunOutcome outcome;
    for (const ScenarioInfo& info : scenarioCatalog())
        if (info.name == u"race-counter")
            outcome.scenario = info;
    outcome.params = ParamSet(outcome.scenario.params);
    outcome.params.set(QStringLiteral("lock"), QStringLiteral("none"), nullptr);
    outcome.trace = std::move(trace);
    outcome.durationNs = 12'000'000;
    const QJsonObject moment { { "write", 7 }, { "writer", "worker-2" }, { "read", 41 }, { "wrote", 42 },
        { "overwrote", 42 }, { "written_by", "worker-1" }, { "lost", 1 }, { "from_ns", 1'000'010'000 },
        { "to_ns", 1'000'020'000 } };
    outcome.results = QJsonObject { { "expected", 1600 }, { "actual", 1234 }, { "lost_updates", 366 },
        { "lost_update_list", QJsonArray { moment } } };
    return outcome;
}

QString TestResultsHtml::finishedHtml(const RunOutcome& outcome)
{
    const QJsonObject summary = summaryJson(outcome);
    return resultsHtml(finishedResultsPage(outcome, summary, runAccount(outcome, summary), outcome.scenario.results));
}

QString TestResultsHtml::plainText(const QString& html)
{
    QTextDocument document;
    document.setHtml(html);
    return document.toPlainText();
}

void TestResultsHtml::lostUpdatesAreCountedAndHeadlined()
{
    const RunOutcome outcome = raceOutcome(std::make_shared<Trace>());
    const QString text = plainText(finishedHtml(outcome));
    QVERIFY2(text.startsWith(u"race-counter — completed in 12"), qPrintable(text));
    // The page shows numbers grouped by a narrow no-break space, which plain text makes a space.
    QVERIFY2(text.contains(u"366 of 1 600 updates were lost (23%)."), qPrintable(text));
    const QStringList lines = text.split(u'\n');
    const auto figure = [&](const QString& label) { return lines.value(lines.indexOf(label) + 1); };
    QVERIFY2(lines.contains(u"lost updates"), qPrintable(text));
    QCOMPARE(figure(QStringLiteral("lost updates")), QStringLiteral("366"));
    QCOMPARE(figure(QStringLiteral("expected")), QStringLiteral("1 600"));

    const QJsonObject summary = summaryJson(outcome);
    QCOMPARE(runAccount(outcome, summary).headline, QStringLiteral("366 of 1 600 updates were lost (23%)."));
    QVERIFY(!text.contains(u"events in")); // nothing was dropped: no gap account
}

void TestResultsHtml::eachLostUpdateLinksToItsMoment()
{
    const QString html = finishedHtml(raceOutcome(std::make_shared<Trace>()));
    QVERIFY2(html.contains(u"<a href=\"show:1000010000:1000020000\">show</a>"), qPrintable(html));
    QVERIFY(!html.contains(u"from_ns")); // the moment is the link, not columns of nanoseconds
}

void TestResultsHtml::droppedEventsAreAccountedFor()
{
    const auto trace = std::make_shared<Trace>(test::LossFixture::trace());
    const QString html = finishedHtml(raceOutcome(trace));
    QVERIFY2(html.contains(u"worker-1 lost 500 events in 1 gap"), qPrintable(html));
    QVERIFY2(html.contains(u"<span style='color:#d32f2f'>"), qPrintable(html)); // in the colour of a loss
    // One row per worker of the trace.
    QVERIFY(html.contains(u"<h4>Per worker</h4>"));
    QVERIFY(html.contains(u"<td>worker-2</td>"));
}

void TestResultsHtml::aStoppedOrFailedRunSaysSo()
{
    RunOutcome stopped = raceOutcome(std::make_shared<Trace>());
    stopped.status = RunOutcome::Status::Stopped;
    QVERIFY(plainText(finishedHtml(stopped)).contains(u"Stopped before the end: the figures cover the part that ran."));

    RunOutcome failed = raceOutcome(std::make_shared<Trace>());
    failed.status = RunOutcome::Status::Failed;
    failed.error = QStringLiteral("no <threads> left");
    const QString html = finishedHtml(failed);
    QVERIFY2(html.contains(u"<b>The run failed:</b> no &lt;threads&gt; left"), qPrintable(html));
    const QJsonObject summary = summaryJson(failed);
    QCOMPARE(runAccount(failed, summary).headline, QStringLiteral("The run failed: no <threads> left"));
}

void TestResultsHtml::liveResultsShowTheLatestCounterValues()
{
    CounterSeries lost;
    lost.name = QStringLiteral("lost_updates");
    lost.points = { { 1, 3 }, { 2, 17 } };
    const ResultsPage page = liveResultsPage(QJsonObject { { "expected", 1600 } }, { lost }, {});
    const QString text = plainText(resultsHtml(page));
    QVERIFY2(text.startsWith(u"Live"), qPrintable(text));
    const QStringList lines = text.split(u'\n');
    QCOMPARE(lines.value(lines.indexOf(u"lost updates") + 1), QStringLiteral("17"));
    QVERIFY(!text.contains(u"Per worker"));
}

// What `--json` gives a script: the words without markup, and a grouped number still one number.
void TestResultsHtml::theAccountReadsAsPlainText()
{
    RunAccount account;
    account.html = QStringLiteral("<b>36\u202F541 of 500\u202F000 updates were lost.</b> <i>worker&lt;1&gt;</i> "
                                  "&amp; \n <span style='color:#d32f2f'>gaps</span><table><tr><td>a</td><td>b</td>"
                                  "</tr></table>");
    QCOMPARE(account.text(), QStringLiteral("36\u202F541 of 500\u202F000 updates were lost. worker<1> & gaps a b"));
}

QTEST_MAIN(TestResultsHtml)
#include "tst_resultshtml.moc"
