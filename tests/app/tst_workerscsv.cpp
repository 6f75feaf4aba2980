#include "../support/privatesettings.h"
#include "../support/runscenario.h"

#include <document/resultshtml.h>
#include <document/rundocument.h>
#include <panels/resultspanel.h>
#include <scenarios/registry.h>
#include <trace/csv.h>

#include <QAction>
#include <QApplication>
#include <QBuffer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace tl;
using namespace tl::ui;

// The results panel's per-worker table as CSV: the columns and cells of a hand-written table, byte for byte
// (numbers bare, so a reader keeps them numbers; names quoted), and a real run's file against its --json.
class TestWorkersCsv : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::usePrivateSettings(QStringLiteral("tst_workerscsv")); }
    void aTableIsWrittenAsCsv();
    void thePanelExportsTheRunsWorkers();
};

void TestWorkersCsv::aTableIsWrittenAsCsv()
{
    const QJsonArray workers = QJsonDocument::fromJson(R"([
        {"name": "worker-1", "tid": 4243, "wait_ns": 1500000, "acquisitions": 100000, "share": 0.25},
        {"name": "a \"quoted\", name", "tid": 4244, "wait_ns": 0, "acquisitions": 7, "share": 1}
    ])")
                                   .array();
    const WorkerFigures table = workerFigures(workers, { QStringLiteral("acquisitions") });
    QCOMPARE(table.header.first(), QStringLiteral("worker"));
    QCOMPARE(table.header.size(), 5);
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    QVERIFY(writeCsvTable(table.header, table.rows, out));
    const QStringList lines = QString::fromUtf8(out.data()).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    // Column by column, by the header's names (their order is the panel's reading order).
    const QStringList header = lines[0].split(u',');
    QCOMPARE(QSet<QString>(header.begin(), header.end()),
        QSet<QString>({ QStringLiteral("\"worker\""), QStringLiteral("\"tid\""), QStringLiteral("\"wait_ns\""),
            QStringLiteral("\"acquisitions\""), QStringLiteral("\"share\"") }));
    // Each cell as written, quotes included (RFC 4180 read by hand: a comma inside quotes is no separator).
    auto split = [](const QString& line) {
        QStringList cells { QString() };
        bool quoted = false;
        for (const QChar c : line) {
            if (c == u'"')
                quoted = !quoted;
            if (c == u',' && !quoted)
                cells << QString();
            else
                cells.back() += c;
        }
        return cells;
    };
    auto cell = [&](int row, const char* column) {
        return split(lines[row]).value(header.indexOf(QStringLiteral("\"%1\"").arg(QString::fromLatin1(column))));
    };
    QCOMPARE(cell(1, "worker"), QStringLiteral("\"worker-1\""));
    QCOMPARE(cell(1, "tid"), QStringLiteral("4243"));
    QCOMPARE(cell(1, "wait_ns"), QStringLiteral("1500000")); // nanoseconds, not "1.5 ms"
    QCOMPARE(cell(1, "acquisitions"), QStringLiteral("100000")); // no digit grouping
    QCOMPARE(cell(1, "share"), QStringLiteral("0.25"));
    QCOMPARE(cell(2, "worker"), QStringLiteral("\"a \"\"quoted\"\", name\"")); // RFC 4180
    QCOMPARE(cell(2, "acquisitions"), QStringLiteral("7"));
    QCOMPARE(cell(2, "share"), QStringLiteral("1"));
}

void TestWorkersCsv::thePanelExportsTheRunsWorkers()
{
    RunDocument document;
    ResultsPanel panel(&document);
    QVERIFY(!panel.exportWorkersAction()->isEnabled()); // nothing has run
    const auto scenario = createScenario(QStringLiteral("race-counter"));
    const QStringList params { QStringLiteral("workers=3"), QStringLiteral("increments=2000") };
    const RunOutcome outcome = test::runScenario(QStringLiteral("race-counter"), params);
    ParamSet set(scenario->info().params);
    for (const QString& p : params) {
        QString why;
        QVERIFY2(set.assign(p, &why), qPrintable(why));
    }
    document.start(scenario->info(), set);
    document.finish(outcome);
    QVERIFY(panel.exportWorkersAction()->isEnabled());

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("workers.csv"));
    QString error;
    QVERIFY2(panel.exportWorkersCsv(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts);
    // One row per worker of --json's "workers", each tid and name as --json has them.
    const QJsonArray workers = summaryJson(outcome).value(u"workers").toArray();
    QCOMPARE(workers.size(), 3);
    QCOMPARE(lines.size(), 1 + 3);
    const QStringList header = lines[0].split(u',');
    const qsizetype tid = header.indexOf(QStringLiteral("\"tid\""));
    QVERIFY2(tid > 0, qPrintable(lines[0]));
    for (int i = 0; i < 3; ++i) {
        const QStringList cells = lines[i + 1].split(u',');
        const QJsonObject w = workers[i].toObject();
        QCOMPARE(cells[0], QStringLiteral("\"%1\"").arg(w[u"name"].toString()));
        QCOMPARE(cells[tid], QString::number(w[u"tid"].toInteger()));
    }
    // A path that cannot be written leaves no file and says why.
    const QString bad = dir.filePath(QStringLiteral("missing/dir/workers.csv"));
    QVERIFY(!panel.exportWorkersCsv(bad, &error));
    QVERIFY(error.contains(bad));
    QVERIFY(!QFile::exists(bad));
}

QTEST_MAIN(TestWorkersCsv)
#include "tst_workerscsv.moc"
