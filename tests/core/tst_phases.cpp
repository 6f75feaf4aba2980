// Scenarios with stages draw each stage as a labelled section across the lanes.
#include "../support/runscenario.h"

#include <trace/exporters.h>

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <algorithm>

using namespace tl;

class TestPhases : public QObject {
    Q_OBJECT
private slots:
    void sweepDrawsEveryRunOfEveryWorkerCount();
    void ipcThroughputDrawsEachMechanismAndSize();
};

namespace {
void verifyInOrderAndInsideTheRun(const Trace& trace)
{
    std::int64_t previousEnd = trace.startNs;
    for (const Phase& p : trace.phases) {
        QVERIFY2(p.start >= previousEnd, qPrintable(p.label + " begins before the previous phase ends"));
        QVERIFY2(p.end > p.start && p.end <= trace.endNs, qPrintable(p.label + " does not end inside the run"));
        previousEnd = p.end;
    }
}
}

void TestPhases::sweepDrawsEveryRunOfEveryWorkerCount()
{
    const auto o = test::runScenario(QStringLiteral("sweep"),
        { QStringLiteral("max_workers=2"), QStringLiteral("repeats=3"), QStringLiteral("tasks=2"),
            QStringLiteral("number=2000") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    QStringList labels;
    for (const Phase& p : o.trace->phases)
        labels << p.label;
    QStringList expected;
    for (int r = 1; r <= 3; ++r)
        expected << QStringLiteral("one by one · %1/3").arg(r);
    for (const QString& executor : { QStringLiteral("threads"), QStringLiteral("processes") })
        for (int w = 1; w <= 2; ++w)
            for (int r = 1; r <= 3; ++r)
                expected << QStringLiteral("%1 ×%2 · %3/3").arg(executor).arg(w).arg(r);
    QCOMPARE(labels, expected);
    verifyInOrderAndInsideTheRun(*o.trace);
    // Each point is the median of its runs.
    for (const auto& row : o.results[u"rows"].toArray()) {
        std::vector<double> runs;
        for (const auto& v : row[u"runs_ms"].toArray())
            runs.push_back(v.toDouble());
        QCOMPARE(runs.size(), std::size_t(3));
        std::sort(runs.begin(), runs.end());
        QCOMPARE(row[u"wall_ms"].toDouble(), runs[1]);
    }
}

void TestPhases::ipcThroughputDrawsEachMechanismAndSize()
{
    const auto o = test::runScenario(
        QStringLiteral("ipc-throughput"), { QStringLiteral("largest=64k"), QStringLiteral("megabytes=4") });
    QCOMPARE(o.status, RunOutcome::Status::Completed);
    QStringList labels;
    for (const Phase& p : o.trace->phases)
        labels << p.label;
    QCOMPARE(labels.size(), 6); // 3 mechanisms × 2 sizes (4 KiB, 64 KiB)
    QVERIFY2(labels.contains(QStringLiteral("pipe · 4 KiB")), qPrintable(labels.join(u", ")));
    QVERIFY2(labels.contains(QStringLiteral("shared memory · 64 KiB")), qPrintable(labels.join(u", ")));
    verifyInOrderAndInsideTheRun(*o.trace);

    // The Chrome trace has them too: one slice each, in order, on the run's own "phases" track.
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(writeChromeTrace(*o.trace, buffer));
    QStringList exported;
    for (const auto& e : QJsonDocument::fromJson(buffer.data())[u"traceEvents"].toArray())
        if (e[u"cat"].toString() == u"phase") {
            QCOMPARE(e[u"ph"].toString(), QStringLiteral("X"));
            QVERIFY(e[u"dur"].toDouble() > 0);
            exported << e[u"name"].toString();
        }
    QCOMPARE(exported, labels);
}

QTEST_GUILESS_MAIN(TestPhases)
#include "tst_phases.moc"
