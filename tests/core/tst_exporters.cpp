#include "../support/runscenario.h"

#include <trace/exporters.h>

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace tl;

class TestExporters : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void chromeTraceHasWhatPerfettoNeeds();
    void csvHasOneRowPerEvent();

private:
    std::shared_ptr<const Trace> m_trace;
};

void TestExporters::initTestCase()
{
    m_trace = test::runScenario(
        QStringLiteral("race-counter"), { QStringLiteral("workers=3"), QStringLiteral("increments=2000") })
                  .trace;
}

void TestExporters::chromeTraceHasWhatPerfettoNeeds()
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(writeChromeTrace(*m_trace, buffer));
    QJsonParseError error;
    const auto doc = QJsonDocument::fromJson(buffer.data(), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QJsonArray events = doc.object()[u"traceEvents"].toArray();
    QVERIFY(!events.isEmpty());

    QStringList threadNames;
    int complete = 0;
    int counters = 0;
    bool processNamed = false;
    for (const auto& v : events) {
        const QJsonObject e = v.toObject();
        const QString ph = e[u"ph"].toString();
        QVERIFY(e.contains(u"pid"));
        if (ph == u"M" && e[u"name"].toString() == u"thread_name")
            threadNames << e[u"args"].toObject()[u"name"].toString();
        if (ph == u"M" && e[u"name"].toString() == u"process_name")
            processNamed = true;
        if (ph == u"X") {
            ++complete;
            QVERIFY(e.contains(u"ts") && e.contains(u"dur") && e.contains(u"tid") && e.contains(u"name"));
            QVERIFY(e[u"dur"].toDouble() >= 0);
        }
        if (ph == u"C") {
            ++counters;
            QVERIFY(e[u"args"].toObject().contains(u"value"));
        }
    }
    QVERIFY(processNamed);
    QCOMPARE(threadNames, (QStringList { "worker-1", "worker-2", "worker-3" })); // one per worker
    QVERIFY(complete > 3 * 2000); // at least the lock holds
    QVERIFY(counters >= 2); // expected and actual, sampled
}

void TestExporters::csvHasOneRowPerEvent()
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(writeCsv(*m_trace, buffer));
    const QList<QByteArray> lines = buffer.data().trimmed().split('\n');
    QCOMPARE(lines.first(), QByteArray("time_ns,worker,worker_name,kind,lock,cpu,value"));
    QCOMPARE(std::size_t(lines.size() - 1), m_trace->eventCount());
    QVERIFY(lines[1].contains("\"worker-1\",started"));
}

QTEST_GUILESS_MAIN(TestExporters)
#include "tst_exporters.moc"
