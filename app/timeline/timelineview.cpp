#include "timelineview.h"

#include <params/format.h>

#include <QAction>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QGuiApplication>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QPainter>
#include <QTextDocumentFragment>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>

namespace tl::ui {

TimelineView::TimelineView(QWidget* parent)
    : QWidget(parent)
{
    setAccessibleName(tr("Timeline"));
    setAccessibleDescription(tr("One lane per worker showing when it ran, waited for a lock or held it"));
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setMinimumSize(400, 200);
    setAttribute(Qt::WA_OpaquePaintEvent);
    // The timeline's own keys, as actions of the view: Help → Keyboard Shortcuts lists them from here.
    addKeyAction(tr("Zoom In"), { QKeySequence(Qt::Key_Plus), QKeySequence(Qt::Key_Equal) }, [this] { zoomIn(); });
    addKeyAction(tr("Zoom Out"), { QKeySequence(Qt::Key_Minus) }, [this] { zoomOut(); });
    addKeyAction(tr("Fit Whole Run"), { QKeySequence(Qt::Key_0), QKeySequence(Qt::Key_Home) }, [this] { fitAll(); });
    addKeyAction(tr("Clear Selection"), { QKeySequence(Qt::Key_Escape) }, [this] { clearSelection(); });
    addKeyAction(tr("Next Gap, Death or Mark"), { QKeySequence(Qt::Key_Period) }, [this] { jumpToMoment(true); });
    addKeyAction(tr("Previous Gap, Death or Mark"), { QKeySequence(Qt::Key_Comma) }, [this] { jumpToMoment(false); });
    addKeyAction(tr("Pan Left"), { QKeySequence(Qt::Key_Left) }, [this] {
        rememberView();
        m_geometry.panByPixels(m_geometry.width / 10);
        userMovedView();
    });
    addKeyAction(tr("Pan Right"), { QKeySequence(Qt::Key_Right) }, [this] {
        rememberView();
        m_geometry.panByPixels(-m_geometry.width / 10);
        userMovedView();
    });
}

void TimelineView::jumpToMoment(bool forward)
{
    if (!m_data)
        return;
    // The nearest start of a gap, end of a process or scenario mark past the middle of the view.
    const std::int64_t middle = m_geometry.t0 + (m_geometry.t1 - m_geometry.t0) / 2;
    std::optional<std::int64_t> best;
    auto consider = [&](std::int64_t t) {
        if ((forward ? t > middle : t < middle) && (!best || (forward ? t < *best : t > *best)))
            best = t;
    };
    for (const TimelineLane& lane : m_data->lanes) {
        for (const Gap& g : lane.gaps)
            consider(g.start);
        for (const LaneMark& m : lane.marks)
            consider(m.time);
    }
    if (!best)
        return;
    const std::int64_t half = (m_geometry.t1 - m_geometry.t0) / 2;
    setVisibleRange(*best - half, *best + half); // the same zoom, the moment in the middle
}

void TimelineView::addKeyAction(const QString& text, const QList<QKeySequence>& keys, const std::function<void()>& slot)
{
    auto* action = new QAction(text, this);
    action->setShortcuts(keys);
    action->setShortcutContext(Qt::WidgetShortcut);
    connect(action, &QAction::triggered, this, slot);
    addAction(action);
}

void TimelineView::rememberView()
{
    const std::pair now { m_geometry.t0, m_geometry.t1 };
    if (!m_data || m_data->lanes.empty() || (!m_back.empty() && m_back.back() == now))
        return;
    m_back.push_back(now);
    m_forward.clear();
    emit historyChanged();
}

void TimelineView::goBack()
{
    stepHistory(m_back, m_forward);
}

void TimelineView::goForward()
{
    stepHistory(m_forward, m_back);
}

void TimelineView::stepHistory(std::vector<Range>& from, std::vector<Range>& to)
{
    if (from.empty())
        return;
    to.emplace_back(m_geometry.t0, m_geometry.t1);
    const auto [t0, t1] = from.back();
    from.pop_back();
    showRange(t0, t1);
    emit historyChanged();
}

void TimelineView::setData(std::shared_ptr<const TimelineData> data)
{
    if (m_source && data && m_source->startNs != data->startNs) {
        m_back.clear(); // another run: its times are not this one's
        m_forward.clear();
        emit historyChanged();
    }
    m_source = std::move(data);
    dataChanged();
}

void TimelineView::setLaneFilter(const QString& text)
{
    m_filter = text.trimmed();
    dataChanged();
}

void TimelineView::applyLaneFilter()
{
    if (m_filter.isEmpty() || !m_source) {
        m_data = m_source;
        return;
    }
    auto shown = std::make_shared<TimelineData>(*m_source);
    std::erase_if(shown->lanes, [this](const TimelineLane& lane) {
        return !lane.name.contains(m_filter, Qt::CaseInsensitive)
            && !lane.group.contains(m_filter, Qt::CaseInsensitive);
    });
    m_data = std::move(shown);
}

void TimelineView::dataChanged()
{
    applyLaneFilter(); // (a live run grows its data in place: the lanes shown are taken again)
    if (m_data && m_data->startNs != 0 && m_following)
        m_geometry.fit(m_data->startNs, std::max(m_data->endNs, m_data->startNs + 1'000'000));
    update();
}

void TimelineView::setFollowing(bool follow)
{
    m_following = follow;
    dataChanged();
}

TimelinePainter::Options TimelineView::options() const
{
    TimelinePainter::Options o;
    o.header = false;
    o.theme = palette().color(QPalette::Base).lightness() < 128 ? TimelinePainter::Theme::dark()
                                                                : TimelinePainter::Theme::light();
    return o;
}

void TimelineView::setVisibleRange(std::int64_t t0, std::int64_t t1)
{
    rememberView();
    showRange(t0, t1);
}

void TimelineView::showRange(std::int64_t t0, std::int64_t t1)
{
    m_geometry.t0 = t0;
    m_geometry.t1 = std::max(t1, t0 + 1);
    userMovedView();
}

void TimelineView::setSelection(std::int64_t t0, std::int64_t t1)
{
    m_selection = std::pair { std::min(t0, t1), std::max(t0, t1) };
    update();
    emit selectionChanged(m_selection->first, m_selection->second);
}

void TimelineView::clearSelection()
{
    if (!m_selection)
        return;
    m_selection.reset();
    update();
    emit selectionCleared();
}

void TimelineView::zoomToSelection()
{
    if (m_selection && m_selection->second > m_selection->first)
        setVisibleRange(m_selection->first, m_selection->second);
}

void TimelineView::syncPlotGeometry()
{
    static const TimelineData empty;
    const auto layout = TimelinePainter::layout(m_data ? *m_data : empty, QRectF(rect()), options());
    m_geometry.x0 = layout.plot.left();
    m_geometry.width = std::max(1.0, layout.plot.width());
}

void TimelineView::fitAll()
{
    rememberView();
    m_following = true;
    dataChanged();
    emit visibleRangeChanged(m_geometry.t0, m_geometry.t1);
}

void TimelineView::userMovedView()
{
    m_following = false;
    if (m_data)
        m_geometry.clampTo(m_data->startNs, std::max(m_data->endNs, m_data->startNs + 1));
    update();
    emit visibleRangeChanged(m_geometry.t0, m_geometry.t1);
}

void TimelineView::zoomIn()
{
    rememberView();
    m_geometry.zoomAround(m_geometry.x0 + m_geometry.width / 2, 1.5);
    userMovedView();
}

void TimelineView::zoomOut()
{
    rememberView();
    m_geometry.zoomAround(m_geometry.x0 + m_geometry.width / 2, 1 / 1.5);
    userMovedView();
}

void TimelineView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    syncPlotGeometry();
    if (!m_data || m_data->lanes.empty()) {
        p.fillRect(rect(), palette().base());
        p.setPen(palette().placeholderText().color());
        const bool filtered = m_source && !m_source->lanes.empty();
        p.drawText(rect(), Qt::AlignCenter,
            filtered ? tr("No lane's worker or process name contains “%1”.").arg(m_filter)
                     : tr("Pick a scenario and press Run (F5) to see its workers here."));
        return;
    }
    const auto opts = options();
    TimelinePainter::paint(p, QRectF(rect()), *m_data, m_geometry.t0, m_geometry.t1, opts);
    if (m_selection) {
        const double a = std::max(m_geometry.xForTime(m_selection->first), m_geometry.x0);
        const double b = std::min(m_geometry.xForTime(m_selection->second), m_geometry.x0 + m_geometry.width);
        if (b > a) {
            // The lanes keep the legend's colours (a tint over them recoloured the whole plot after Z): the
            // tint goes on the axis under them, the edges across.
            auto ranged = opts;
            ranged.t0 = m_geometry.t0;
            ranged.t1 = m_geometry.t1;
            const auto layout = TimelinePainter::layout(*m_data, QRectF(rect()), ranged);
            const QRectF axis = layout.axis;
            QColor fill = palette().color(QPalette::Highlight);
            fill.setAlpha(90);
            p.fillRect(QRectF(a, axis.top(), b - a, axis.height()), fill);
            p.setPen(QPen(palette().color(QPalette::Highlight), 2));
            p.drawLine(QPointF(a, 0), QPointF(a, height()));
            p.drawLine(QPointF(b, 0), QPointF(b, height()));
            // The selection's length in the first group's title row, right of the title, where no lane is (at
            // the top it cut the legend).
            const QString length = formatDuration(double(m_selection->second - m_selection->first));
            const double top = layout.groups.empty() ? layout.plot.top() : layout.groups.front().second + 2;
            const QRectF box(a + 4, top, p.fontMetrics().horizontalAdvance(length) + 8, p.fontMetrics().height() + 2);
            p.fillRect(box, opts.theme.background);
            p.setPen(opts.theme.ink);
            p.drawText(box, Qt::AlignCenter, length);
        }
    }
}

void TimelineView::resizeEvent(QResizeEvent*)
{
    syncPlotGeometry();
}

void TimelineView::wheelEvent(QWheelEvent* e)
{
    const double notches = e->angleDelta().y() / 120.0;
    if (notches == 0)
        return;
    syncPlotGeometry();
    rememberView();
    m_geometry.zoomAround(e->position().x(), std::pow(1.25, notches));
    userMovedView();
    e->accept();
}

void TimelineView::mousePressEvent(QMouseEvent* e)
{
    if (e->button() == Qt::LeftButton && (e->modifiers() & Qt::ShiftModifier)) {
        m_selecting = true;
        m_selectionAnchor = m_geometry.timeForX(e->position().x());
        setSelection(m_selectionAnchor, m_selectionAnchor);
        return;
    }
    if (e->button() == Qt::LeftButton) {
        rememberView();
        m_dragging = true;
        m_lastDrag = e->pos();
        setCursor(Qt::ClosedHandCursor);
    }
}

void TimelineView::mouseMoveEvent(QMouseEvent* e)
{
    if (m_selecting) {
        setSelection(m_selectionAnchor, m_geometry.timeForX(e->position().x()));
        return;
    }
    if (!m_dragging)
        return;
    m_geometry.panByPixels(e->pos().x() - m_lastDrag.x());
    m_lastDrag = e->pos();
    userMovedView();
}

void TimelineView::mouseReleaseEvent(QMouseEvent*)
{
    if (m_selecting && m_selection && m_selection->first == m_selection->second)
        clearSelection(); // a click, not a drag
    m_selecting = false;
    m_dragging = false;
    unsetCursor();
}

void TimelineView::mouseDoubleClickEvent(QMouseEvent*)
{
    fitAll();
}

void TimelineView::keyPressEvent(QKeyEvent* e)
{
    switch (e->key()) {
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomIn();
        break;
    case Qt::Key_Minus:
        zoomOut();
        break;
    case Qt::Key_0:
    case Qt::Key_Home:
        fitAll();
        break;
    case Qt::Key_Escape:
        clearSelection();
        break;
    case Qt::Key_Z:
        zoomToSelection();
        break;
    case Qt::Key_Left:
        rememberView();
        m_geometry.panByPixels(m_geometry.width / 10);
        userMovedView();
        break;
    case Qt::Key_Right:
        rememberView();
        m_geometry.panByPixels(-m_geometry.width / 10);
        userMovedView();
        break;
    default:
        QWidget::keyPressEvent(e);
    }
}

bool TimelineView::event(QEvent* e)
{
    if (e->type() == QEvent::ToolTip) {
        const auto* help = static_cast<QHelpEvent*>(e);
        const QString text = describeAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(e);
}

const Span* TimelineView::spanAt(std::size_t lane, std::int64_t t, std::int64_t slack) const
{
    const auto& spans = m_data->lanes[lane].spans;
    auto it = std::lower_bound(
        spans.begin(), spans.end(), t - slack, [](const Span& s, std::int64_t v) { return s.end < v; });
    return it == spans.end() || it->start > t + slack ? nullptr : &*it;
}

QMenu* TimelineView::contextMenuAt(const QPoint& pos)
{
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    const QString details = QTextDocumentFragment::fromHtml(describeAt(pos)).toPlainText();
    const Span* span = nullptr;
    if (m_data) {
        TimelinePainter::Options ranged = options();
        ranged.t0 = m_geometry.t0;
        ranged.t1 = m_geometry.t1;
        const auto layout = TimelinePainter::layout(*m_data, QRectF(rect()), ranged);
        for (std::size_t i = 0; i < layout.lanes.size() && !span; ++i)
            if (layout.lanes[i].contains(pos))
                span = spanAt(
                    i, m_geometry.timeForX(pos.x()), std::int64_t(3.0 * double(m_geometry.span()) / m_geometry.width));
    }
    auto* copy
        = menu->addAction(tr("&Copy Details"), this, [details] { QGuiApplication::clipboard()->setText(details); });
    copy->setEnabled(!details.isEmpty());
    auto* zoom = menu->addAction(tr("&Zoom to Span"));
    zoom->setEnabled(span != nullptr);
    if (span) {
        // A tenth of the span either side, so its edges show.
        const std::int64_t from = span->start, to = span->end, margin = std::max<std::int64_t>((to - from) / 10, 1);
        connect(
            zoom, &QAction::triggered, this, [this, from, to, margin] { setVisibleRange(from - margin, to + margin); });
    }
    menu->addSeparator();
    menu->addAction(tr("&Fit Whole Run"), this, [this] { fitAll(); });
    return menu;
}

void TimelineView::contextMenuEvent(QContextMenuEvent* e)
{
    contextMenuAt(e->pos())->popup(e->globalPos());
}

QString TimelineView::describeAt(const QPoint& pos) const
{
    if (!m_data)
        return {};
    const auto layout = TimelinePainter::layout(*m_data, QRectF(rect()), options());
    for (std::size_t i = 0; i < layout.lanes.size(); ++i) {
        if (!layout.lanes[i].contains(pos))
            continue;
        // Within 3 px, so narrow spans can be hovered too.
        const std::int64_t t = m_geometry.timeForX(pos.x());
        const auto slack = std::int64_t(3.0 * double(m_geometry.span()) / m_geometry.width);
        for (const LaneMark& m : m_data->lanes[i].marks)
            if (m.kind == EventKind::Exited && std::llabs(m.time - t) <= slack)
                return QStringLiteral("<b>%1</b>: %2<br>at %3")
                    .arg(m_data->lanes[i].group.toHtmlEscaped(), QString::fromStdString(exitText(m.value)),
                        formatDuration(double(m.time - m_data->zeroNs)));
        const Span* found = spanAt(i, t, slack);
        if (!found)
            return m_data->lanes[i].name;
        const Span& s = *found;
        QString text
            = QStringLiteral("<b>%1</b>: %2").arg(m_data->lanes[i].name.toHtmlEscaped(), laneStateName(s.state));
        auto lockName = [&](std::uint16_t lock) {
            return lock < m_data->lockNames.size() ? m_data->lockNames[lock].toHtmlEscaped() : QString::number(lock);
        };
        if (s.lock != 0)
            text += QStringLiteral(" (lock “%1”)").arg(lockName(s.lock));
        if (s.inside == LaneState::NoData) {
            const Gap* gap = m_data->lanes[i].gapAt(s.start);
            if (gap && gap->cpuOnly)
                text += QStringLiteral("<br>whether it had a CPU is unknown here: the kernel lost %L1 of its context "
                                       "switch records (its ring was full)")
                            .arg(qulonglong(gap->lost));
            else
                text += QStringLiteral("<br>whether it had a CPU is unknown here: the kernel has no context switch "
                                       "records of it yet (a child process is followed once it has started)");
        } else if (s.inside == LaneState::Unprotected)
            text += QStringLiteral(", inside its unprotected section");
        else if (s.inside != LaneState::Running)
            text += QStringLiteral(", still holding “%1”%2")
                        .arg(lockName(s.insideLock),
                            s.inside == LaneState::LockHeldContended ? QStringLiteral(" (others wait for it)")
                                                                     : QString());
        text += QStringLiteral("<br>start %1, duration %2")
                    .arg(formatDuration(double(s.start - m_data->zeroNs)), formatDuration(double(s.end - s.start)));
        if (s.cpu >= 0)
            text += QStringLiteral("<br>on CPU %1").arg(s.cpu);
        if (s.state == LaneState::Queued && s.cpu < 0)
            text += QStringLiteral("<br>ready to run, but every CPU was busy (or it was handed to a pool)");
        if (s.state == LaneState::Blocked)
            text += QStringLiteral("<br>the kernel took it off its CPU inside this span (a page fault, a system "
                                   "call, a futex inside a library)");
        if (s.state == LaneState::NoData)
            if (const Gap* gap = m_data->lanes[i].gapAt(s.start))
                text += QStringLiteral("<br>%L1 events lost here: the recorder's ring was full, so what this worker "
                                       "did in this interval is unknown")
                            .arg(qulonglong(gap->lost));
        return text;
    }
    return {};
}

} // namespace tl::ui
