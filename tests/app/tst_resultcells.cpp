// The results panel's cells: labels people read, numbers they can paste, durations with their units.
#include <models/resultcells.h>

#include <QJsonArray>
#include <QTest>

using namespace tl::ui;

class TestResultCells : public QObject {
    Q_OBJECT
private slots:
    void labelsDropTheMachineUnit();
    void cellsShowWhatTheFigureIs();
    void figuresComeInTheScenariosOrder();
};

void TestResultCells::labelsDropTheMachineUnit()
{
    QCOMPARE(resultLabel(QStringLiteral("longest_wait_ns")), QStringLiteral("longest wait")); // cell: "3.2 ms"
    QCOMPARE(resultLabel(QStringLiteral("lost_updates")), QStringLiteral("lost updates"));
    QCOMPARE(resultLabel(QStringLiteral("payload_kb")), QStringLiteral("payload (KiB)"));
    QCOMPARE(resultLabel(QStringLiteral("work_ms")), QStringLiteral("work (ms)"));
    QCOMPARE(resultLabel(QStringLiteral("bytes_per_s")), QStringLiteral("bytes per second")); // not "bytes per (s)"
    QCOMPARE(resultLabel(QStringLiteral("throughput_mb_s")), QStringLiteral("throughput (MB/s)"));
    QCOMPARE(resultLabel(QStringLiteral("_ns")), QStringLiteral(" ns")); // nothing left to label: kept
}

void TestResultCells::cellsShowWhatTheFigureIs()
{
    QCOMPARE(resultCell(QStringLiteral("wait_ns"), 2'500'000.0), QStringLiteral("2.5 ms"));
    QCOMPARE(resultCell(QStringLiteral("lost_updates"), 120456), QStringLiteral("120\u202F456"));
    // Ids go into `ps` or a shell as they are.
    QCOMPARE(resultCell(QStringLiteral("pid"), 123456), QStringLiteral("123456"));
    QCOMPARE(resultCell(QStringLiteral("parent_pid"), 123456), QStringLiteral("123456"));
    // A list of values is a list, not JSON.
    QCOMPARE(resultCell(QStringLiteral("cpus"), QJsonArray { 0, 1 }), QStringLiteral("0, 1"));
    QCOMPARE(resultCell(QStringLiteral("crashed"), true), QStringLiteral("yes"));
    QCOMPARE(resultCell(QStringLiteral("name"), QStringLiteral("a<b")), QStringLiteral("a&lt;b"));
}

void TestResultCells::figuresComeInTheScenariosOrder()
{
    // A JSON object hands its keys over sorted: "actual, expected, lost_updates" is not how the lesson reads.
    const QStringList declared { QStringLiteral("expected"), QStringLiteral("actual"), QStringLiteral("lost_updates") };
    QCOMPARE(readingOrder({ QStringLiteral("actual"), QStringLiteral("elapsed_ns"), QStringLiteral("expected"),
                              QStringLiteral("lost_updates") },
                 declared),
        (QStringList { QStringLiteral("expected"), QStringLiteral("actual"), QStringLiteral("lost_updates"),
            QStringLiteral("elapsed_ns") }));
    // Payload sizes as columns: by size, not as text ("1024, 131072, 16384, 4096").
    QCOMPARE(readingOrder({ QStringLiteral("1024"), QStringLiteral("131072"), QStringLiteral("16384"),
                              QStringLiteral("4096"), QStringLiteral("mechanism") },
                 {}),
        (QStringList { QStringLiteral("1024"), QStringLiteral("4096"), QStringLiteral("16384"),
            QStringLiteral("131072"), QStringLiteral("mechanism") }));
}

QTEST_MAIN(TestResultCells)
#include "tst_resultcells.moc"
