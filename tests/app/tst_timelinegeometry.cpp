#include <models/timelinedata.h>
#include <models/timelinegeometry.h>

#include <QTest>

using namespace tl;
using namespace tl::ui;

class TestTimelineGeometry : public QObject {
    Q_OBJECT
private slots:
    void zoomKeepsTheTimeUnderTheCursor_data();
    void zoomKeepsTheTimeUnderTheCursor();
    void panAndClamp();
    void lodNeverDrawsMoreRectsThanColumns();
    void lodKeepsWideSpansExact();
    void indexSumsStateTimesExactly();
    void emptyLaneHasNothingToSum();
};

void TestTimelineGeometry::zoomKeepsTheTimeUnderTheCursor_data()
{
    QTest::addColumn<double>("x");
    QTest::addColumn<double>("factor");
    QTest::addColumn<qint64>("expectedSpan");
    QTest::newRow("in 2x at centre") << 550.0 << 2.0 << qint64(500'000);
    QTest::newRow("in 4x at left edge") << 100.0 << 4.0 << qint64(250'000);
    QTest::newRow("out 2x at right") << 1000.0 << 0.5 << qint64(2'000'000);
    QTest::newRow("in past the 1 µs floor") << 300.0 << 1e6 << qint64(1000);
}

void TestTimelineGeometry::zoomKeepsTheTimeUnderTheCursor()
{
    QFETCH(double, x);
    QFETCH(double, factor);
    QFETCH(qint64, expectedSpan);
    TimelineGeometry g { 0, 1'000'000, 100, 900 };
    const std::int64_t before = g.timeForX(x);
    g.zoomAround(x, factor);
    QCOMPARE(g.span(), expectedSpan);
    QVERIFY(std::abs(g.timeForX(x) - before) <= 2);
}

void TestTimelineGeometry::panAndClamp()
{
    TimelineGeometry g { 0, 1000, 0, 100 };
    g.panByPixels(-50); // drag left: later times come into view
    QCOMPARE(g.t0, std::int64_t(500));
    QCOMPARE(g.t1, std::int64_t(1500));
    g.clampTo(0, 1200);
    QCOMPARE(g.t1, std::int64_t(1200));
    QCOMPARE(g.span(), std::int64_t(1000));
    g.fit(100, 300);
    QCOMPARE(g.t0, std::int64_t(100));
    QCOMPARE(g.xForTime(300), 100.0);
}

void TestTimelineGeometry::lodNeverDrawsMoreRectsThanColumns()
{
    // 1M alternating 10 ns spans across 1000 px: far more spans than pixels.
    std::vector<Span> spans;
    for (int i = 0; i < 1'000'000; ++i)
        spans.push_back({ i * 10, i * 10 + 10, 0, 0, i % 2 ? LaneState::Running : LaneState::LockWait });
    const TimelineLane lane({}, {}, std::move(spans));
    std::vector<LodRect> rects;
    lodRects(lane, 0, 10'000'000, 0, 1000, 3, rects);
    QVERIFY(!rects.empty());
    QVERIFY2(rects.size() <= 1000 / 3 + 1, qPrintable(QString::number(rects.size())));
    QVERIFY(rects.front().merged);
}

void TestTimelineGeometry::lodKeepsWideSpansExact()
{
    const std::vector<Span> spans { { 0, 500, 0, 0, LaneState::Running }, { 500, 1000, 1, 0, LaneState::LockWait } };
    std::vector<LodRect> rects;
    lodRects(TimelineLane({}, {}, spans), 0, 1000, 10, 100, 3, rects);
    QCOMPARE(rects.size(), std::size_t(2));
    QCOMPARE(rects[0].x0, 10.0f);
    QCOMPARE(rects[0].x1, 60.0f);
    QCOMPARE(rects[1].state, LaneState::LockWait);
    QVERIFY(!rects[1].merged);
}

void TestTimelineGeometry::indexSumsStateTimesExactly()
{
    TimelineLane lane;
    std::int64_t t = 0;
    for (int i = 0; i < 5000; ++i) {
        const std::int64_t d = 1 + (i * 7919) % 997;
        lane.spans.push_back({ t, t + d, 0, 0, LaneState((i * 31) % kLaneStateCount) });
        t += d;
    }
    lane.updateIndex();
    for (const auto& [from, to] : std::vector<std::pair<std::size_t, std::size_t>> {
             { 0, 5000 }, { 1, 4999 }, { 31, 33 }, { 32, 64 }, { 100, 3000 }, { 4990, 5000 } }) {
        StateTimes brute {};
        for (std::size_t i = from; i < to; ++i)
            brute[std::size_t(lane.spans[i].state)] += lane.spans[i].end - lane.spans[i].start;
        QCOMPARE(lane.stateTimes(from, to), brute);
    }
    // Shrinking the lane (a live provisional span removed) drops stale blocks.
    lane.spans.resize(40);
    lane.updateIndex();
    QCOMPARE(lane.blocks.size(), 40 / TimelineLane::kBlock + 1);
    QCOMPARE(lane.firstStartingAtOrAfter(lane.spans[17].start, 0), std::size_t(17));
    QCOMPARE(lane.firstStartingAtOrAfter(lane.spans[17].start + 1, 3), std::size_t(18));
    QCOMPARE(lane.firstStartingAtOrAfter(INT64_MAX, 0), std::size_t(40));
}

void TestTimelineGeometry::emptyLaneHasNothingToSum()
{
    // A lane with no spans yet (a child process's before it starts) under a selection being dragged.
    TimelineLane lane;
    lane.updateIndex();
    QCOMPARE(lane.firstStartingAtOrAfter(1000, 0), std::size_t(0));
    QCOMPARE(lane.stateTimesBetween(0, 1000), StateTimes {});
}

QTEST_GUILESS_MAIN(TestTimelineGeometry)
#include "tst_timelinegeometry.moc"
