#include "../support/runscenario.h"

#include <trace/exporters.h>

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace tl;

// A process's lane ends where the process did, with a marker that says how; nothing of it is drawn after.
class TestLifetimes : public QObject {
    Q_OBJECT
private slots:
    void deadProcessesEndTheirLanes_data();
    void deadProcessesEndTheirLanes();
};

void TestLifetimes::deadProcessesEndTheirLanes_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QStringList>("assignments");
    QTest::addColumn<QString>("ending"); // what the dead process's marker must say
    QTest::newRow("child-processes kill_one")
        << "child-processes" << QStringList { "kill_one=true", "work_ms=3000" } << "killed by SIGKILL";
    QTest::newRow("threads-vs-processes crash")
        << "threads-vs-processes" << QStringList { "crash=true" } << "killed by SIGABRT";
}

void TestLifetimes::deadProcessesEndTheirLanes()
{
    QFETCH(QString, scenario);
    QFETCH(QStringList, assignments);
    QFETCH(QString, ending);
    const auto o = test::runScenario(scenario, assignments);
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    const Trace& trace = *o.trace;

    // The dead process: the one the run reports crashed.
    std::int64_t deadPid = 0;
    std::uint32_t lane = 0;
    for (const auto& p : o.processes)
        if (p.state == ProcessInfo::State::Crashed) {
            deadPid = p.pid;
            lane = p.worker;
        }
    QVERIFY2(deadPid > 0, "no process of the run crashed");

    // Its lane: an Exited event that says how it ended, and no span after it.
    const auto lanes = buildSpans(trace);
    const auto& marks = lanes[lane].marks;
    const auto death
        = std::find_if(marks.begin(), marks.end(), [](const LaneMark& m) { return m.kind == EventKind::Exited; });
    QVERIFY2(death != marks.end(), "the dead process's lane has no death marker");
    QCOMPARE(QString::fromStdString(exitText(death->value)), ending);
    QVERIFY2(!lanes[lane].spans.empty(), "the dead process's lane shows nothing of its life");
    QVERIFY(lanes[lane].spans.back().end <= death->time);

    // The Chrome trace: the marker as an instant on that process, and no slice of it past the death.
    QBuffer json;
    json.open(QIODevice::WriteOnly);
    QVERIFY(writeChromeTrace(trace, json));
    const QJsonArray events = QJsonDocument::fromJson(json.data()).object()[u"traceEvents"].toArray();
    double deathTs = -1, lastEnd = 0;
    for (const auto& v : events) {
        const QJsonObject e = v.toObject();
        if (e[u"pid"].toInteger() != deadPid)
            continue;
        if (e[u"ph"].toString() == u"I" && e[u"name"].toString() == ending)
            deathTs = e[u"ts"].toDouble();
        if (e[u"ph"].toString() == u"X")
            lastEnd = std::max(lastEnd, e[u"ts"].toDouble() + e[u"dur"].toDouble());
    }
    QVERIFY2(deathTs >= 0, "the trace has no death instant on the dead process's pid");
    QVERIFY(lastEnd <= deathTs);

    // The CSV: the exit as a row of its own.
    QBuffer csv;
    csv.open(QIODevice::WriteOnly);
    QVERIFY(writeCsv(trace, csv));
    QVERIFY(csv.data().contains(",exited,"));
}

QTEST_GUILESS_MAIN(TestLifetimes)
#include "tst_lifetimes.moc"
