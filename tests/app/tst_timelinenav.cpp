#include <timeline/timelinepainter.h>
#include <timeline/timelineview.h>

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QImage>
#include <QMenu>
#include <QTest>
#include <QWheelEvent>

using namespace tl;
using namespace tl::ui;

// Finding one's way on the window's timeline: zoom history (Back and Forward return to the ranges shown, in
// order), the view's own keys as actions, and lanes that keep the legend's colours under a selection.
class TestTimelineNav : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup() { m_view.reset(); }
    void backAndForwardRetraceTheZooms();
    void aSelectionLeavesTheLanesInTheLegendsColours();
    void theViewsKeysAreActions();
    void theContextMenuCopiesAndZoomsToTheSpan();
    void periodAndCommaJumpToGapsDeathsAndMarks();
    void theLaneFilterShowsTheLanesNamed();

private:
    std::shared_ptr<TimelineData> m_data;
    std::unique_ptr<TimelineView> m_view; // a fresh, shown 1000x400 view on m_data for every test
};

void TestTimelineNav::init()
{
    m_data = std::make_shared<TimelineData>();
    m_data->startNs = m_data->zeroNs = 1'000'000;
    m_data->endNs = 101'000'000; // 100 ms
    // worker-1 waits the whole run, worker-2 runs: two colours the legend names.
    m_data->lanes.emplace_back(QStringLiteral("worker-1"), QStringLiteral("ThreadLab"),
        std::vector<Span> { { m_data->startNs, m_data->endNs, 0, 0, LaneState::LockWait } });
    m_data->lanes.emplace_back(QStringLiteral("worker-2"), QStringLiteral("ThreadLab"),
        std::vector<Span> { { m_data->startNs, m_data->endNs, 0, 0, LaneState::Running } });
    // worker-3 runs, sleeps 10 ms from 40 ms, and runs on.
    const std::int64_t ms = 1'000'000, t = m_data->startNs;
    m_data->lanes.emplace_back(QStringLiteral("worker-3"), QStringLiteral("ThreadLab"),
        std::vector<Span> { { t, t + 40 * ms, 0, 0, LaneState::Running },
            { t + 40 * ms, t + 50 * ms, 0, -1, LaneState::Sleeping },
            { t + 50 * ms, t + 100 * ms, 0, 0, LaneState::Running } });
    m_view = std::make_unique<TimelineView>();
    m_view->resize(1000, 400);
    m_view->setData(m_data);
    m_view->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_view.get()));
}

void TestTimelineNav::backAndForwardRetraceTheZooms()
{
    TimelineView& view = *m_view;
    using Range = std::pair<std::int64_t, std::int64_t>;
    auto shown = [&view] { return Range { view.visibleStart(), view.visibleEnd() }; };
    const Range whole = shown();
    QVERIFY(!view.canGoBack());
    view.zoomIn();
    const Range zoomed = shown();
    view.setSelection(20'000'000, 30'000'000);
    QTest::keyClick(&view, Qt::Key_Z); // zoom to the selection
    const Range selected = shown();
    QCOMPARE(selected, Range(20'000'000, 30'000'000));
    // A wheel turn is a step too.
    QWheelEvent wheel(QPointF(500, 200), view.mapToGlobal(QPointF(500, 200)), {}, QPoint(0, 120), Qt::NoButton,
        Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(&view, &wheel);
    const Range wheeled = shown();
    QVERIFY(wheeled != selected);

    QVERIFY(view.canGoBack());
    QVERIFY(!view.canGoForward());
    view.goBack();
    QCOMPARE(shown(), selected);
    view.goBack();
    QCOMPARE(shown(), zoomed);
    view.goBack();
    QCOMPARE(shown(), whole);
    QVERIFY(!view.canGoBack());
    view.goBack(); // nothing further back: stays
    QCOMPARE(shown(), whole);
    view.goForward();
    QCOMPARE(shown(), zoomed);
    view.goForward();
    QCOMPARE(shown(), selected);
    // A new zoom after going back forgets the steps forward.
    view.zoomOut();
    QVERIFY(!view.canGoForward());
    view.goBack();
    QCOMPARE(shown(), selected);
}

// After Z the selection was the whole plot, and its tint recoloured every lane away from the legend: each
// lane's middle, sampled across the plot, is its state's colour exactly.
void TestTimelineNav::aSelectionLeavesTheLanesInTheLegendsColours()
{
    TimelineView& view = *m_view;
    view.setSelection(30'000'000, 60'000'000);
    for (const bool zoomed : { false, true }) {
        if (zoomed)
            view.zoomToSelection();
        QCOMPARE(view.hasSelection(), true);
        const QImage image = view.grab().toImage().convertToFormat(QImage::Format_RGB32);
        TimelinePainter::Options options;
        options.header = false;
        options.t0 = view.visibleStart();
        options.t1 = view.visibleEnd();
        const auto l = TimelinePainter::layout(*m_data, QRectF(view.rect()), options);
        const QList<LaneState> states { LaneState::LockWait, LaneState::Running };
        // (The selection's edges are lines across the lanes, of the highlight's colour: not sampled.)
        const double edges[]
            = { view.geometry().xForTime(view.selection().first), view.geometry().xForTime(view.selection().second) };
        for (std::size_t lane = 0; lane < 2; ++lane) {
            const int y = int(l.lanes[lane].center().y());
            for (int x = int(l.plot.left()) + 5; x < int(l.plot.right()) - 5; x += 7)
                if (std::abs(x - edges[0]) > 3 && std::abs(x - edges[1]) > 3)
                    QVERIFY2(image.pixel(x, y) == stateColor(states[qsizetype(lane)]).rgb(),
                        qPrintable(QStringLiteral("lane %1 at x=%2 (zoomed: %3) is #%4")
                                       .arg(lane)
                                       .arg(x)
                                       .arg(zoomed)
                                       .arg(image.pixel(x, y) & 0xffffff, 6, 16, QChar(u'0'))));
        }
    }
}

// The view's keys (+, -, 0, Home, Esc, arrows) are actions of the view, so Help → Keyboard Shortcuts can list
// them, and they still work: Home after a zoom shows the whole run again.
void TestTimelineNav::theViewsKeysAreActions()
{
    TimelineView& view = *m_view;
    QStringList keys;
    for (const QAction* a : view.actions())
        for (const QKeySequence& k : a->shortcuts())
            keys << k.toString();
    for (const char* key : { "+", "-", "0", "Home", "Esc", "Left", "Right" })
        QVERIFY2(keys.contains(QString::fromLatin1(key)), key);
    view.setFocus();
    QTest::keyClick(&view, Qt::Key_Minus);
    QTest::keyClick(&view, Qt::Key_Plus);
    QTest::keyClick(&view, Qt::Key_Plus);
    QVERIFY(view.visibleEnd() - view.visibleStart() < m_data->endNs - m_data->startNs);
    QTest::keyClick(&view, Qt::Key_Home);
    QCOMPARE(view.visibleStart(), m_data->startNs);
    QCOMPARE(view.visibleEnd(), m_data->endNs);
}

// Right-click on worker-3's sleep: Copy Details puts what hovering says on the clipboard (the lane, the state,
// the 10 ms written here), Zoom to Span shows that sleep with a little either side.
void TestTimelineNav::theContextMenuCopiesAndZoomsToTheSpan()
{
    TimelineView& view = *m_view;
    TimelinePainter::Options options;
    options.header = false;
    const auto l = TimelinePainter::layout(*m_data, QRectF(view.rect()), options);
    const std::int64_t ms = 1'000'000, sleepFrom = m_data->startNs + 40 * ms, sleepTo = m_data->startNs + 50 * ms;
    const QPoint at(int(view.geometry().xForTime((sleepFrom + sleepTo) / 2)), int(l.lanes[2].center().y()));
    QMenu* menu = view.contextMenuAt(at);
    QAction* copy = nullptr;
    QAction* zoom = nullptr;
    for (QAction* a : menu->actions()) {
        if (a->text() == u"&Copy Details")
            copy = a;
        if (a->text() == u"&Zoom to Span")
            zoom = a;
    }
    QVERIFY(copy && zoom);
    QGuiApplication::clipboard()->clear();
    copy->trigger();
    const QString copied = QGuiApplication::clipboard()->text();
    QVERIFY2(copied.contains(QStringLiteral("worker-3: sleeping")) && copied.contains(QStringLiteral("duration 10 ms")),
        qPrintable(copied));
    QVERIFY(!copied.contains(u'<')); // plain text, not the tooltip's HTML
    zoom->trigger();
    QVERIFY(view.visibleStart() <= sleepFrom && view.visibleEnd() >= sleepTo);
    QVERIFY(view.visibleEnd() - view.visibleStart() <= 2 * (sleepTo - sleepFrom));
    delete menu;
}

// "." and "," centre the view on the next and previous moment: a mark at 20 ms, a gap from 70 ms and a death
// at 90 ms, put into the fixture here; at the ends they stay.
void TestTimelineNav::periodAndCommaJumpToGapsDeathsAndMarks()
{
    const std::int64_t ms = 1'000'000, t = m_data->startNs;
    m_data->lanes[0].marks = { { t + 20 * ms, 7, EventKind::Mark } };
    m_data->lanes[1].gaps = { { t + 70 * ms, t + 75 * ms, 12 } };
    m_data->lanes[2].marks = { { t + 90 * ms, -9, EventKind::Exited } };
    TimelineView& view = *m_view;
    view.setVisibleRange(t + 41 * ms, t + 61 * ms); // 20 ms wide, its middle at 51 ms
    view.setFocus();
    auto middle = [&] { return (view.visibleStart() + view.visibleEnd()) / 2 - t; };
    const std::int64_t width = view.visibleEnd() - view.visibleStart();
    for (const auto& [key, want] : std::vector<std::pair<Qt::Key, std::int64_t>> { { Qt::Key_Period, 70 * ms },
             { Qt::Key_Period, 90 * ms }, { Qt::Key_Period, 90 * ms }, { Qt::Key_Comma, 70 * ms },
             { Qt::Key_Comma, 20 * ms }, { Qt::Key_Comma, 20 * ms } }) {
        QTest::keyClick(&view, key);
        QCOMPARE(middle(), want);
        QCOMPARE(view.visibleEnd() - view.visibleStart(), width); // the same zoom
    }
}

// Typing part of a name keeps those lanes: "3" leaves worker-3, drawn in the first lane's place with its own
// colours (sleeping at 45 ms, running at 20 ms); any case matches; an empty filter shows the run's own data.
void TestTimelineNav::theLaneFilterShowsTheLanesNamed()
{
    TimelineView& view = *m_view;
    view.setLaneFilter(QStringLiteral("3"));
    QCOMPARE(view.data()->lanes.size(), std::size_t(1));
    QCOMPARE(view.data()->lanes.front().name, QStringLiteral("worker-3"));
    const QImage image = view.grab().toImage().convertToFormat(QImage::Format_RGB32);
    TimelinePainter::Options options;
    options.header = false;
    const auto l = TimelinePainter::layout(*view.data(), QRectF(view.rect()), options);
    QCOMPARE(l.lanes.size(), std::size_t(1));
    const std::int64_t ms = 1'000'000, t = m_data->startNs;
    const int y = int(l.lanes[0].center().y());
    QCOMPARE(image.pixel(int(view.geometry().xForTime(t + 45 * ms)), y), stateColor(LaneState::Sleeping).rgb());
    QCOMPARE(image.pixel(int(view.geometry().xForTime(t + 20 * ms)), y), stateColor(LaneState::Running).rgb());
    view.setLaneFilter(QStringLiteral("WORKER"));
    QCOMPARE(view.data()->lanes.size(), std::size_t(3));
    view.setLaneFilter(QStringLiteral("nobody"));
    QCOMPARE(view.data()->lanes.size(), std::size_t(0));
    view.setLaneFilter({});
    QCOMPARE(view.data().get(), m_data.get());
}

QTEST_MAIN(TestTimelineNav)
#include "tst_timelinenav.moc"
