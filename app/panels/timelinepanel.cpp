#include "timelinepanel.h"

#include <document/panelaction.h>
#include <document/rundocument.h>
#include <timeline/timelinepainter.h>
#include <timeline/timelineview.h>

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QUrl>
#include <QVBoxLayout>

#include <numeric>

namespace tl::ui {

namespace {
// How the workers spent [t0, t1], each state's share in its colour.
QString selectionStatistics(const TimelineData& data, std::int64_t t0, std::int64_t t1)
{
    StateTimes total {};
    for (const auto& lane : data.lanes) {
        const StateTimes t = lane.stateTimesBetween(t0, t1);
        for (std::size_t s = 0; s < total.size(); ++s)
            total[s] += t[s];
    }
    const double sum = double(std::accumulate(total.begin(), total.begin() + kLaneStateCount, std::int64_t(0)));
    QStringList parts;
    for (int s = 0; s < kLaneStateCount; ++s)
        if (total[std::size_t(s)] > 0)
            parts << QStringLiteral("<span style='color:%1'>■</span> %2 %3")
                         .arg(stateColor(LaneState(s)).name(), laneStateName(LaneState(s)),
                             percent(double(total[std::size_t(s)]) / sum));
    // A section stays unprotected while its worker sleeps or waits for a CPU inside it: that time counts too.
    if (const std::int64_t inside = total[insideSlot(LaneState::Unprotected)]; inside > 0)
        parts << TimelinePanel::tr("(inside unprotected sections %1 in all)")
                     .arg(percent(double(total[std::size_t(LaneState::Unprotected)] + inside) / sum));
    return TimelinePanel::tr("Selection %1 (from %2): %3")
        .arg(formatDuration(double(t1 - t0)), formatDuration(double(t0 - data.zeroNs)),
            parts.isEmpty() ? TimelinePanel::tr("no worker activity") : parts.join(u"  "));
}
}

TimelinePanel::TimelinePanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_document(document)
    , m_view(new TimelineView)
    , m_selectionInfo(new QLabel)
    , m_starting(new QLabel)
{
    // Over the view, which says "Pick a scenario and press Run" until the run's first lanes come in.
    m_starting->setAlignment(Qt::AlignCenter);
    m_starting->setAutoFillBackground(true);
    m_starting->setBackgroundRole(QPalette::Base);
    m_starting->hide();
    auto* overlay = new QVBoxLayout(m_view);
    overlay->setContentsMargins(0, 0, 0, 0);
    overlay->addWidget(m_starting);
    m_view->setData(document->timelineSnapshot());
    m_selectionInfo->setAccessibleName(tr("Selection statistics"));
    m_selectionInfo->setToolTip(tr("Shift+drag on the timeline to select a time range; Esc clears it, Z zooms to it"));
    auto* filter = new QLineEdit;
    filter->setObjectName(QStringLiteral("laneFilter"));
    filter->setAccessibleName(tr("Filter lanes"));
    filter->setPlaceholderText(tr("Filter lanes…"));
    filter->setToolTip(tr("Show only the lanes whose worker or process name contains this text"));
    filter->setClearButtonEnabled(true);
    filter->setMaximumWidth(220);
    connect(filter, &QLineEdit::textChanged, m_view, &TimelineView::setLaneFilter);
    auto* below = new QHBoxLayout;
    below->addWidget(m_selectionInfo, 1);
    below->addWidget(filter);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view, 1);
    layout->addLayout(below);
    connect(m_view, &TimelineView::selectionChanged, this, &TimelinePanel::showSelection);
    connect(m_view, &TimelineView::selectionCleared, m_selectionInfo, &QLabel::clear);
    buildActions();

    connect(document, &RunDocument::started, this, [this] {
        m_view->setData(m_document->timelineSnapshot());
        m_view->clearSelection();
        m_view->setFollowing(true);
        m_starting->setText(tr("Starting %1…").arg(m_document->title()));
        m_starting->show();
    });
    connect(document, &RunDocument::batchAppended, this, [this] {
        if (!m_document->timeline().lanes.empty())
            m_starting->hide();
        m_view->dataChanged();
    });
    connect(document, &RunDocument::finished, this, [this] {
        m_starting->hide();
        m_view->setData(m_document->shownTimeline());
    });
    connect(document, &RunDocument::lanesChanged, this, [this] {
        if (!m_document->isLive())
            m_view->setData(m_document->shownTimeline());
    });
}

void TimelinePanel::buildActions()
{
    m_fit = panelAction(this, QStringLiteral("zoom-fit-best"), tr("&Fit Whole Run"), QKeySequence(Qt::CTRL | Qt::Key_0),
        tr("Show the whole run and follow it live (or double-click the timeline)"));
    connect(m_fit, &QAction::triggered, m_view, &TimelineView::fitAll);
    auto* zoomIn = panelAction(this, QStringLiteral("zoom-in"), tr("Zoom &In"), QKeySequence::ZoomIn, tr("Zoom in"));
    connect(zoomIn, &QAction::triggered, m_view, &TimelineView::zoomIn);
    auto* zoomOut
        = panelAction(this, QStringLiteral("zoom-out"), tr("Zoom &Out"), QKeySequence::ZoomOut, tr("Zoom out"));
    connect(zoomOut, &QAction::triggered, m_view, &TimelineView::zoomOut);
    auto* zoomSelection = panelAction(this, QStringLiteral("zoom-select"), tr("Zoom to &Selection"),
        QKeySequence(Qt::Key_Z), tr("Zoom to the range selected with Shift+drag"));
    connect(zoomSelection, &QAction::triggered, m_view, &TimelineView::zoomToSelection);
    auto* back = panelAction(this, QStringLiteral("go-previous"), tr("&Back"), QKeySequence(Qt::ALT | Qt::Key_Left),
        tr("Show the range shown before the last zoom or pan"));
    connect(back, &QAction::triggered, m_view, &TimelineView::goBack);
    auto* forward = panelAction(this, QStringLiteral("go-next"), tr("F&orward"), QKeySequence(Qt::ALT | Qt::Key_Right),
        tr("Show again the range Back left"));
    connect(forward, &QAction::triggered, m_view, &TimelineView::goForward);
    auto history = [this, back, forward] {
        back->setEnabled(m_view->canGoBack());
        forward->setEnabled(m_view->canGoForward());
    };
    connect(m_view, &TimelineView::historyChanged, this, history);
    history();
    m_history = { back, forward };
    m_zoom = { m_fit, zoomIn, zoomOut, zoomSelection };

    m_lanesByCpu = panelAction(this, QStringLiteral("cpu"), tr("Lanes by &CPU"), QKeySequence(Qt::CTRL | Qt::Key_U),
        tr("After a run, show one group per CPU with the workers that ran on it: interleaving on one core, "
           "parallelism across cores"));
    m_lanesByCpu->setCheckable(true);
    connect(m_lanesByCpu, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue(QStringLiteral("lanesByCpu"), on);
        m_document->setLanes(on ? RunDocument::Lanes::ByCpu : RunDocument::Lanes::ByWorker);
    });
    m_lanesByCpu->setChecked(QSettings().value(QStringLiteral("lanesByCpu"), false).toBool());
}

QString TimelinePanel::selectionText() const
{
    return m_selectionInfo->text();
}

void TimelinePanel::showSelection(std::int64_t t0, std::int64_t t1)
{
    m_selectionInfo->setText(selectionStatistics(m_document->timeline(), t0, t1));
}

void TimelinePanel::showMoment(const QUrl& link)
{
    // "show:FROM:TO", CLOCK_MONOTONIC ns: select that stretch and zoom to it with some context either side.
    const QStringList parts = link.toString().split(u':');
    if (parts.size() != 3 || parts[0] != u"show")
        return;
    const std::int64_t t0 = parts[1].toLongLong();
    const std::int64_t t1 = std::max<std::int64_t>(parts[2].toLongLong(), t0 + 1);
    const std::int64_t margin = std::max<std::int64_t>(t1 - t0, 2'000);
    m_view->setVisibleRange(t0 - margin, t1 + margin);
    m_view->setSelection(t0, t1);
}

} // namespace tl::ui
