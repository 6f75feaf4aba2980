#include <graph/waitforgraph.h>

#include <QImage>
#include <QTest>

using namespace tl;
using namespace tl::ui;

// The wait-for graph panel: names the deadlock it sees, keeps it on show once broken, draws it in red.
class TestWaitForGraph : public QObject {
    Q_OBJECT
private slots:
    void namesTheCycleAndKeepsItOnceBroken();
    void noCycleNoDeadlock();
};

namespace {
const std::vector<WorkerInfo> kWorkers { { QStringLiteral("Worker-1"), {}, 1, 1 },
    { QStringLiteral("Worker-2"), {}, 1, 2 } };
const std::vector<QString> kLocks { QString(), QStringLiteral("lock-A"), QStringLiteral("lock-B") };

int reddish(const QImage& image)
{
    int n = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
            const QColor c = image.pixelColor(x, y);
            n += c.red() > 200 && c.green() < 110 && c.blue() < 110;
        }
    return n;
}
}

void TestWaitForGraph::namesTheCycleAndKeepsItOnceBroken()
{
    WaitForGraph graph;
    graph.resize(400, 320);
    // Worker-1 holds lock-A and waits for lock-B; Worker-2 holds lock-B and waits for lock-A.
    graph.update(kWorkers, kLocks, { { { 0, 1 }, { 1, 2 } }, { { 0, 2 }, { 1, 1 } } });
    QCOMPARE(graph.deadlockText(), QStringLiteral("Worker-1 → lock-B → Worker-2 → lock-A"));
    QVERIFY(reddish(graph.grab().toImage()) > 200); // the cycle's arrows and the title
    graph.update(kWorkers, kLocks, {}); // broken: nobody holds or waits any more
    QCOMPARE(graph.deadlockText(), QStringLiteral("Worker-1 → lock-B → Worker-2 → lock-A"));
    graph.clear();
    QVERIFY(graph.deadlockText().isEmpty());
}

void TestWaitForGraph::noCycleNoDeadlock()
{
    WaitForGraph graph;
    graph.resize(400, 320);
    // Worker-1 holds both locks; Worker-2 waits for lock-A: contention, not a deadlock.
    graph.update(kWorkers, kLocks, { { { 0, 1 }, { 0, 2 } }, { { 1, 1 } } });
    QVERIFY(graph.deadlockText().isEmpty());
}

QTEST_MAIN(TestWaitForGraph)
#include "tst_waitforgraph.moc"
