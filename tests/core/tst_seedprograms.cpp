#include "../support/runscenario.h"

#include <scenarios/registry.h>
#include <scenarios/scenario.h>
#include <session/run.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

using namespace tl;

namespace {
struct QueueRun {
    QJsonObject results;
    QString account; // without its markup
};

QueueRun runQueuePipe(const QStringList& assignments)
{
    const RunOutcome outcome = test::runScenario(QStringLiteral("queue-pipe"), assignments);
    const QJsonObject summary = summaryJson(outcome);
    QString account = createScenario(QStringLiteral("queue-pipe"))->describeOutcome(summary);
    account.remove(QRegularExpression(QStringLiteral("<[^>]*>")));
    return { summary[u"results"].toObject(), account };
}

// What the producers and consumers said of themselves, each in its own process: the oracle the run's totals
// and its account are checked against.
struct ChildFigures {
    qint64 produced = 0;
    qint64 consumed = 0;
    qint64 putsWaited = 0;
    qint64 getsWaited = 0;
    int producers = 0;
    int consumers = 0;
};

ChildFigures childFigures(const QJsonObject& results)
{
    ChildFigures f;
    for (const auto& row : results[u"children"].toArray()) {
        const QJsonObject report = row[u"report"].toObject();
        if (row[u"role"].toString() == u"producer") {
            ++f.producers;
            f.produced += report[u"produced"].toInteger();
            f.putsWaited += report[u"puts_waited"].toInteger();
        } else if (row[u"role"].toString() == u"consumer") {
            ++f.consumers;
            f.consumed += report[u"consumed"].toInteger();
            f.getsWaited += report[u"gets_waited"].toInteger();
        }
    }
    return f;
}

// The number the account puts before `words` ("5 items were put but never got" -> 5), or -1.
// Digits may come in groups of three, apart by a comma or a (narrow) space: "1 976", "1,976".
qint64 numberBefore(const QString& account, const QString& words)
{
    const QRegularExpressionMatch m = QRegularExpression(
        QStringLiteral("(\\d{1,3}(?:[,\\s\\x{202F}]\\d{3})*) ") + QRegularExpression::escape(words))
                                          .match(account);
    return m.hasMatch() ? m.captured(1).remove(QRegularExpression(QStringLiteral("\\D"))).toLongLong() : -1;
}
}

// The seed's producer/consumer program (multiprocessing.Queue, unbounded) and its threading example, checked
// against what CPython 3.11 does with them.
class TestSeedPrograms : public QObject {
    Q_OBJECT

private slots:
    void seedOrderConsumesEveryItem_data();
    void seedOrderConsumesEveryItem();
    void pipeFullerThanItsBufferStallsTheSeedOrder();
    void aPipeNobodyReadsRefusesTheRest();
    void boundedQueueBlocksProducersOnlyWhenFull_data();
    void boundedQueueBlocksProducersOnlyWhenFull();
    void checkEmptyMissesWhatWasPutButNotGot();
    void everyAccountSentenceFollowsItsFigures_data();
    void everyAccountSentenceFollowsItsFigures();
    void threadsAreListedBeforeAndAfterStart();
};

void TestSeedPrograms::seedOrderConsumesEveryItem_data()
{
    QTest::addColumn<QString>("consumer");
    QTest::newRow("blocking get()") << "blocking";
    QTest::newRow("while not queue.empty()") << "check-empty"; // the seed's own consumer
}

void TestSeedPrograms::seedOrderConsumesEveryItem()
{
    QFETCH(QString, consumer);
    // The seed: q = Queue(); p1 puts 5 and is joined; then p2 gets. CPython prints 5 "Consumed" lines.
    const QueueRun run = runQueuePipe({ QStringLiteral("order=seed"), QStringLiteral("consumer=") + consumer });
    const ChildFigures f = childFigures(run.results);
    QCOMPARE(f.produced, 5);
    QCOMPARE(f.consumed, 5);
    QCOMPARE(run.results[u"producers_stuck"].toBool(), false);
    QCOMPARE(f.putsWaited, 0); // Queue() has no limit
    QVERIFY2(!run.account.contains(u"never end"), qPrintable(run.account));
    QVERIFY2(run.account.contains(u"put 5 of its 5 items and 1 consumer got 5"), qPrintable(run.account));
}

void TestSeedPrograms::pipeFullerThanItsBufferStallsTheSeedOrder()
{
    // 1,100 records of 64 bytes are more than a pipe's 64 KiB: with nobody reading yet, the producer waits
    // (multiprocessing.Pipe's send() would too), and the account says so because it did.
    const QueueRun run = runQueuePipe({ QStringLiteral("order=seed"), QStringLiteral("mechanism=pipe"),
        QStringLiteral("items=1100"), QStringLiteral("produce_us=0"), QStringLiteral("consume_us=0") });
    const ChildFigures f = childFigures(run.results);
    QVERIFY(f.putsWaited >= 1);
    QCOMPARE(run.results[u"producers_stuck"].toBool(), true);
    QCOMPARE(f.produced, 1100);
    QCOMPARE(f.consumed, 1100);
    QVERIFY2(run.account.contains(u"never end"), qPrintable(run.account));
    QVERIFY2(run.account.contains(u"A put found the pipe full and waited"), qPrintable(run.account));
}

void TestSeedPrograms::aPipeNobodyReadsRefusesTheRest()
{
    // 3,000 records are three times what the pipe holds; the check-empty consumer quits at its first empty
    // look, so once the pipe is full nobody will read again: the producer would wait for ever.
    const QueueRun run = runQueuePipe({ QStringLiteral("mechanism=pipe"), QStringLiteral("consumer=check-empty"),
        QStringLiteral("items=3000"), QStringLiteral("produce_us=0"), QStringLiteral("consume_us=1000") });
    const ChildFigures f = childFigures(run.results);
    const qint64 refused = run.results[u"refused"].toInteger();
    QCOMPARE(refused, 3000 - f.produced); // the items the producer never put
    QCOMPARE(run.results[u"missed"].toInteger(), f.produced - f.consumed);
    QCOMPARE(run.account.contains(u"refused those puts"), refused > 0);
    if (refused > 0) {
        // Refused only after a write found the pipe full.
        QVERIFY2(f.putsWaited > 0, qPrintable(run.account));
        QCOMPARE(numberBefore(run.account, QStringLiteral("items to put and the pipe was full")), refused);
    }
}

void TestSeedPrograms::boundedQueueBlocksProducersOnlyWhenFull_data()
{
    QTest::addColumn<QStringList>("assignments");
    QTest::addColumn<bool>("mustWait");
    // A consumer far slower than the producer: a queue of 2 fills and the producer waits.
    QTest::newRow("slow consumer") << QStringList { "capacity=2", "items=8", "produce_us=0", "consume_us=20000" }
                                   << true;
    // A consumer far faster: items go straight through, nothing fills.
    QTest::newRow("fast consumer") << QStringList { "capacity=2", "items=5", "produce_us=20000", "consume_us=0" }
                                   << false;
    // The seed's order with a queue of 2 for 5 items: it must fill before any consumer exists.
    QTest::newRow("seed order") << QStringList { "capacity=2", "order=seed" } << true;
}

void TestSeedPrograms::boundedQueueBlocksProducersOnlyWhenFull()
{
    QFETCH(QStringList, assignments);
    QFETCH(bool, mustWait);
    const QueueRun run = runQueuePipe(assignments);
    const ChildFigures f = childFigures(run.results);
    if (mustWait)
        QVERIFY2(f.putsWaited > 0, qPrintable(run.account));
    // The account says a put waited exactly when a producer said so, and then the queue had been full.
    QCOMPARE(run.account.contains(u"A put found the queue of 2 items full"), f.putsWaited > 0);
    if (f.putsWaited > 0)
        QCOMPARE(run.results[u"max_depth"].toInteger(), 2);
    QCOMPARE(run.results[u"producers_stuck"].toBool(), run.account.contains(u"never end"));
    QCOMPARE(f.consumed, f.produced);
}

void TestSeedPrograms::checkEmptyMissesWhatWasPutButNotGot()
{
    // The seed's consumer with the producer still at work (the first item comes 20 ms in): it quits at the
    // first empty queue. The queue has no limit, so the producer puts all 5 anyway, as in CPython.
    const QueueRun run = runQueuePipe({ QStringLiteral("consumer=check-empty") });
    const ChildFigures f = childFigures(run.results);
    QCOMPARE(f.produced, 5);
    const qint64 missed = f.produced - f.consumed;
    QCOMPARE(run.results[u"missed"].toInteger(), missed);
    if (missed > 0) {
        QCOMPARE(numberBefore(run.account, QStringLiteral("items were put but never got")) > 0
                ? numberBefore(run.account, QStringLiteral("items were put but never got"))
                : numberBefore(run.account, QStringLiteral("item was put but never got")),
            missed);
        QCOMPARE(run.results[u"left_unread"].toInteger(), missed);
    } else {
        QVERIFY2(run.account.contains(u"Every item put was got"), qPrintable(run.account));
    }
}

void TestSeedPrograms::everyAccountSentenceFollowsItsFigures_data()
{
    QTest::addColumn<QStringList>("assignments");
    QTest::addColumn<int>("processes"); // producers, and as many consumers
    for (int processes : { 1, 2 })
        for (const char* mechanism : { "queue", "pipe" })
            for (const char* consumer : { "blocking", "check-empty" })
                for (const char* order : { "together", "seed" })
                    for (int capacity : { 0, 2 }) {
                        if (QByteArray(mechanism) == "pipe" && capacity > 0)
                            continue; // a pipe's room is its kernel buffer
                        QTest::addRow("%dx %s %s %s capacity=%d", processes, mechanism, consumer, order, capacity)
                            << QStringList { QStringLiteral("mechanism=%1").arg(mechanism),
                                   QStringLiteral("consumer=%1").arg(consumer), QStringLiteral("order=%1").arg(order),
                                   QStringLiteral("capacity=%1").arg(capacity), QStringLiteral("items=6"),
                                   QStringLiteral("produce_us=2000"), QStringLiteral("consume_us=6000"),
                                   QStringLiteral("producers=%1").arg(processes),
                                   QStringLiteral("consumers=%1").arg(processes) }
                            << processes;
                    }
}

void TestSeedPrograms::everyAccountSentenceFollowsItsFigures()
{
    QFETCH(QStringList, assignments);
    QFETCH(int, processes);
    const QueueRun run = runQueuePipe(assignments);
    const ChildFigures f = childFigures(run.results);
    const QString& a = run.account;
    const QByteArray why = a.toUtf8();
    QCOMPARE(f.producers, processes);
    QCOMPARE(f.consumers, processes);
    QCOMPARE(run.results[u"produced"].toInteger(), f.produced);
    QCOMPARE(run.results[u"consumed"].toInteger(), f.consumed);
    QCOMPARE(run.results[u"missed"].toInteger(), f.produced - f.consumed);
    const QString what = processes == 1 ? QStringLiteral("put %1 of its 6 items and 1 consumer got %2")
                                        : QStringLiteral("put %1 of their 12 items and 2 consumers got %2");
    QVERIFY2(a.contains(what.arg(f.produced).arg(f.consumed)), why.constData());
    // Waiting to put: said exactly when a producer waited; never beside "no item waited".
    QCOMPARE(a.contains(u"A put found"), f.putsWaited > 0);
    QCOMPARE(a.contains(u"No put found") || a.contains(u"no put ever waited"), f.putsWaited == 0);
    if (f.putsWaited > 0)
        QVERIFY2(run.results[u"max_depth"].toInteger() > 0 && !a.contains(u"No item"), why.constData());
    // Waiting to get: said exactly when a consumer waited.
    QCOMPARE(a.contains(u"A get() found nothing there"), f.getsWaited > 0);
    QCOMPARE(a.contains(u"No get() had to wait"), f.getsWaited == 0 && f.consumed > 0);
    // The seed's order never ends only when a producer waited for room.
    if (a.contains(u"never end"))
        QVERIFY2(f.putsWaited > 0, why.constData());
    // Missed: the number is produced - consumed, and "every item was got" only when it is 0.
    const qint64 missed = f.produced - f.consumed;
    QCOMPARE(a.contains(u"Every item put was got"), missed == 0);
    if (missed > 1)
        QCOMPARE(numberBefore(a, QStringLiteral("items were put but never got")), missed);
    // A queue with no limit is never full: no put waits, and its producers put everything. A bounded one that
    // made a put wait held its capacity then.
    if (assignments.contains(QStringLiteral("mechanism=queue"))) {
        if (assignments.contains(QStringLiteral("capacity=0"))) {
            QCOMPARE(f.putsWaited, 0);
            QCOMPARE(f.produced, 6 * processes);
        } else if (f.putsWaited > 0) {
            QCOMPARE(run.results[u"max_depth"].toInteger(), 2);
        }
    }
}

void TestSeedPrograms::threadsAreListedBeforeAndAfterStart()
{
    // display_threads() before and after starting 5 threads: CPython lists MainThread alone, then MainThread
    // and "Thread-1 (cpu_water)" ... "Thread-5 (cpu_water)".
    const int threads = 5;
    const RunOutcome outcome = test::runScenario(
        QStringLiteral("threads"), { QStringLiteral("threads=%1").arg(threads), QStringLiteral("sleep_ms=500") });
    const QJsonObject summary = summaryJson(outcome);
    const QJsonObject results = summary[u"results"].toObject();
    const QJsonArray before = results[u"threads_before"].toArray();
    QCOMPARE(before.size(), 1);
    QCOMPARE(before[0][u"name"].toString(), QStringLiteral("MainThread"));
    QCOMPARE(results[u"active_count_before"].toInt(), 1);
    const QJsonArray after = results[u"threads"].toArray();
    QCOMPARE(after.size(), threads + 1);
    QCOMPARE(results[u"active_count"].toInt(), threads + 1);
    QStringList names;
    for (const auto& t : after)
        names << t[u"name"].toString();
    QStringList expected { QStringLiteral("MainThread") };
    for (int i = 1; i <= threads; ++i)
        expected << QStringLiteral("Thread-%1 (cpu_water)").arg(i);
    QCOMPARE(names, expected);
    // The timeline's lanes carry the same names.
    QStringList lanes;
    for (const auto& w : outcome.trace->workers)
        lanes << w.name;
    QCOMPARE(lanes, expected);
    const QString account = createScenario(QStringLiteral("threads"))->describeOutcome(summary);
    QVERIFY2(account.contains(u"1 thread was alive") && account.contains(u"6 threads were alive")
            && account.contains(u"Thread-5 (cpu_water)"),
        qPrintable(account));
}

QTEST_GUILESS_MAIN(TestSeedPrograms)
#include "tst_seedprograms.moc"
