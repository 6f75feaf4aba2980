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
    std::vector<LodRect> rects;
    lodRects(spans, 0, 10'000'000, 0, 1000, 3, rects);
    QVERIFY(!rects.empty());
    QVERIFY2(rects.size() <= 1000 / 3 + 1, qPrintable(QString::number(rects.size())));
    QVERIFY(rects.front().merged);
}

void TestTimelineGeometry::lodKeepsWideSpansExact()
{
    const std::vector<Span> spans { { 0, 500, 0, 0, LaneState::Running }, { 500, 1000, 1, 0, LaneState::LockWait } };
    std::vector<LodRect> rects;
    lodRects(spans, 0, 1000, 10, 100, 3, rects);
    QCOMPARE(rects.size(), std::size_t(2));
    QCOMPARE(rects[0].x0, 10.0f);
    QCOMPARE(rects[0].x1, 60.0f);
    QCOMPARE(rects[1].state, LaneState::LockWait);
    QVERIFY(!rects[1].merged);
}

QTEST_GUILESS_MAIN(TestTimelineGeometry)
#include "tst_timelinegeometry.moc"
