#include <timeline/timelineview.h>

#include <QApplication>
#include <QHelpEvent>
#include <QTest>
#include <QToolTip>
#include <QWheelEvent>

using namespace tl;
using namespace tl::ui;

class TestTimelineView : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup() { m_view.reset(); }
    void zoomAndFitChangeTheVisibleRange();
    void wheelZoomsAroundTheCursorAndStopsFollowing();
    void shiftDragSelectsARange();
    void hoverDescribesTheSpan();

private:
    std::shared_ptr<TimelineData> m_data;
    std::unique_ptr<TimelineView> m_view; // a fresh, shown 1000x400 view on m_data for every test
};

void TestTimelineView::init()
{
    m_data = std::make_shared<TimelineData>();
    m_data->startNs = 1'000'000;
    m_data->endNs = 101'000'000; // 100 ms
    m_data->lockNames = { QString(), QStringLiteral("counter") };
    for (int l = 0; l < 3; ++l) {
        std::vector<Span> spans;
        for (std::int64_t t = m_data->startNs; t < m_data->endNs; t += 10'000'000)
            spans.push_back(
                { t, t + 10'000'000, 1, std::int16_t(l), l == 0 ? LaneState::LockWait : LaneState::Running });
        m_data->lanes.emplace_back(
            QStringLiteral("worker-%1").arg(l + 1), QStringLiteral("ThreadLab"), std::move(spans));
    }
    m_view = std::make_unique<TimelineView>();
    m_view->resize(1000, 400);
    m_view->setData(m_data);
    m_view->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
}

void TestTimelineView::zoomAndFitChangeTheVisibleRange()
{
    TimelineView& view = *m_view;
    QCOMPARE(view.visibleStart(), m_data->startNs);
    QCOMPARE(view.visibleEnd(), m_data->endNs);
    QVERIFY(view.isFollowing());

    view.zoomIn();
    const std::int64_t zoomed = view.visibleEnd() - view.visibleStart();
    QVERIFY(zoomed < m_data->endNs - m_data->startNs);
    QVERIFY(view.visibleStart() > m_data->startNs && view.visibleEnd() < m_data->endNs); // around the centre
    QVERIFY(!view.isFollowing()); // the user took over

    view.zoomOut();
    view.zoomOut();
    QCOMPARE(view.visibleStart(), m_data->startNs); // clamped to the run
    QCOMPARE(view.visibleEnd(), m_data->endNs);

    view.setVisibleRange(m_data->startNs, m_data->startNs + 5'000'000);
    view.fitAll();
    QCOMPARE(view.visibleStart(), m_data->startNs);
    QCOMPARE(view.visibleEnd(), m_data->endNs);
    QVERIFY(view.isFollowing());
}

void TestTimelineView::wheelZoomsAroundTheCursorAndStopsFollowing()
{
    TimelineView& view = *m_view;
    const QPointF at(700, 100);
    const std::int64_t under = view.geometry().timeForX(at.x());
    QWheelEvent wheel(
        at, view.mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&view, &wheel);
    QVERIFY(view.visibleEnd() - view.visibleStart() < m_data->endNs - m_data->startNs);
    QVERIFY(std::abs(view.geometry().timeForX(at.x()) - under) < 100'000);
    QVERIFY(!view.isFollowing());
}

void TestTimelineView::shiftDragSelectsARange()
{
    TimelineView& view = *m_view;
    QTest::mousePress(&view, Qt::LeftButton, Qt::ShiftModifier, QPoint(300, 100));
    QTest::mouseMove(&view, QPoint(600, 100));
    QTest::mouseRelease(&view, Qt::LeftButton, Qt::ShiftModifier, QPoint(600, 100));
    QVERIFY(view.hasSelection());
    const auto [t0, t1] = view.selection();
    QCOMPARE(t0, view.geometry().timeForX(300));
    QCOMPARE(t1, view.geometry().timeForX(600));
    QTest::keyClick(&view, Qt::Key_Z); // zoom to it
    QCOMPARE(view.visibleStart(), t0);
    QCOMPARE(view.visibleEnd(), t1);
    QTest::keyClick(&view, Qt::Key_Escape);
    QVERIFY(!view.hasSelection());
}

void TestTimelineView::hoverDescribesTheSpan()
{
    TimelineView& view = *m_view;
    QCOMPARE(view.accessibleName(), QStringLiteral("Timeline"));
    // Tooltips come from describeAt(); ask through a ToolTip event on the first lane.
    const auto layout = TimelinePainter::layout(*m_data, QRectF(view.rect()), [] {
        TimelinePainter::Options o;
        o.header = false;
        return o;
    }());
    const QPoint pos = layout.lanes[0].center().toPoint();
    QHelpEvent help(QEvent::ToolTip, pos, view.mapToGlobal(pos));
    QApplication::sendEvent(&view, &help);
    QTRY_VERIFY(QToolTip::isVisible());
    QVERIFY(QToolTip::text().contains(u"worker-1"));
    QVERIFY(QToolTip::text().contains(u"waiting for lock"));
    QVERIFY(QToolTip::text().contains(u"counter"));
    QVERIFY(QToolTip::text().contains(u"on CPU 0"));
}

QTEST_MAIN(TestTimelineView)
#include "tst_timelineview.moc"
