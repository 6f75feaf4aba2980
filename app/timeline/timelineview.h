#pragma once

#include "timelinepainter.h"

#include <models/timelinegeometry.h>

#include <QWidget>

class QMenu;
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace tl::ui {

// The interactive timeline: wheel zooms around the cursor, drag pans, Shift+drag selects a time range,
// double-click fits the whole run, hovering a span tells its worker, state, start, duration, lock and CPU.
// While a run is live it follows the newest events until the user zooms or pans.
class TimelineView : public QWidget {
    Q_OBJECT
public:
    explicit TimelineView(QWidget* parent = nullptr);

    // The view shares the data it shows, so it stays valid even when its producer moves on to a new run.
    void setData(std::shared_ptr<const TimelineData> data);
    const std::shared_ptr<const TimelineData>& data() const { return m_data; }
    // Call after the data grew or changed; repaints (Qt coalesces repaints to the screen's rate).
    void dataChanged();
    // Shows only the lanes whose name or process contains `text` (any case); empty shows every lane. data()
    // is then what is shown; exports take the run's document, every lane.
    void setLaneFilter(const QString& text);
    const QString& laneFilter() const { return m_filter; }
    void setFollowing(bool follow);
    bool isFollowing() const { return m_following; }

    const TimelineGeometry& geometry() const { return m_geometry; }
    std::int64_t visibleStart() const { return m_geometry.t0; }
    std::int64_t visibleEnd() const { return m_geometry.t1; }
    // Shows [t0, t1) (used by tests and by "zoom to selection").
    void setVisibleRange(std::int64_t t0, std::int64_t t1);
    bool hasSelection() const { return m_selection.has_value(); }
    std::pair<std::int64_t, std::int64_t> selection() const { return m_selection.value_or(std::pair { 0, 0 }); }
    void setSelection(std::int64_t t0, std::int64_t t1);
    // The context menu at `pos` (right-click): copy what hovering there tells, zoom to the span there, fit.
    QMenu* contextMenuAt(const QPoint& pos);
    // Zoom history: the ranges shown before (Back, Alt+Left) and after (Forward, Alt+Right) the current one.
    // A zoom, a fit, a zoom to the selection and each wheel turn or drag is one step.
    bool canGoBack() const { return !m_back.empty(); }
    bool canGoForward() const { return !m_forward.empty(); }

public slots:
    void fitAll();
    void zoomIn();
    void zoomOut();
    void clearSelection();
    void zoomToSelection();
    void goBack();
    void goForward();
    // Centres the view, at the same zoom, on the next (or previous) start of a gap, end of a process or mark
    // after (before) its middle; keys "." and ",".
    void jumpToMoment(bool forward);

signals:
    void visibleRangeChanged(std::int64_t t0, std::int64_t t1);
    void selectionChanged(std::int64_t t0, std::int64_t t1);
    void selectionCleared();
    void historyChanged();

protected:
    void paintEvent(QPaintEvent*) override;
    void resizeEvent(QResizeEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseReleaseEvent(QMouseEvent*) override;
    void mouseDoubleClickEvent(QMouseEvent*) override;
    void keyPressEvent(QKeyEvent*) override;
    bool event(QEvent*) override;
    void contextMenuEvent(QContextMenuEvent* e) override;

private:
    TimelinePainter::Options options() const;
    void syncPlotGeometry();
    void userMovedView();
    void showRange(std::int64_t t0, std::int64_t t1); // as setVisibleRange, with no step in the history
    // Records the range shown now as a step Back leads to (forgetting the steps forward), once per gesture.
    void rememberView();
    void addKeyAction(const QString& text, const QList<QKeySequence>& keys, const std::function<void()>& slot);
    QString describeAt(const QPoint& pos) const;
    // The span of `lane` at time t, within `slack` ns either side; null if none.
    const Span* spanAt(std::size_t lane, std::int64_t t, std::int64_t slack) const;

    void applyLaneFilter();
    std::shared_ptr<const TimelineData> m_source; // as set
    std::shared_ptr<const TimelineData> m_data; // as shown: m_source, or the lanes the filter keeps
    QString m_filter;
    TimelineGeometry m_geometry;
    bool m_following = true;
    bool m_dragging = false;
    bool m_selecting = false;
    QPoint m_lastDrag;
    std::int64_t m_selectionAnchor = 0;
    std::optional<std::pair<std::int64_t, std::int64_t>> m_selection;
    using Range = std::pair<std::int64_t, std::int64_t>;
    // Back: `from`'s newest range is shown, and the current one goes onto `to`.
    void stepHistory(std::vector<Range>& from, std::vector<Range>& to);
    std::vector<Range> m_back;
    std::vector<Range> m_forward;
};

} // namespace tl::ui
