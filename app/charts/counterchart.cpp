#include "counterchart.h"

#include <QChart>
#include <QLineSeries>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <iterator>

namespace tl::ui {

namespace {
// The range [lo, hi] widened to whole steps of 1, 2 or 5 × 10^k, at most five of them: a 235 ms run gets
// 0..250 in steps of 50, where QValueAxis::applyNiceNumbers() would stretch it to 0..400 and leave the
// last third of the chart empty. Steps stay whole numbers: the labels print none after the point.
void fitNicely(QValueAxis* axis, double lo, double hi)
{
    constexpr int kMaxIntervals = 5;
    double step = 1;
    for (double decade = 1;; decade *= 10) {
        const double candidates[] = { decade, 2 * decade, 5 * decade };
        const auto fits = [&](double s) { return std::ceil(hi / s) - std::floor(lo / s) <= kMaxIntervals; };
        if (const auto* found = std::find_if(std::begin(candidates), std::end(candidates), fits);
            found != std::end(candidates)) {
            step = *found;
            break;
        }
    }
    const double from = std::floor(lo / step) * step, to = std::ceil(hi / step) * step;
    axis->setRange(from, to);
    axis->setTickCount(int(std::lround((to - from) / step)) + 1);
}
} // namespace

CounterChart::CounterChart(QWidget* parent)
    : ChartWidget(parent)
    , m_x(new QValueAxis)
    , m_y(new QValueAxis)
{
    setAccessibleName(tr("Counter chart"));
    setAccessibleDescription(tr("The run's counters over time, for example expected against actual count"));
    m_x->setTitleText(tr("ms since start"));
    m_x->setLabelFormat(QStringLiteral("%.0f"));
    m_y->setLabelFormat(QStringLiteral("%.0f"));
    chart()->addAxis(m_x, Qt::AlignBottom);
    chart()->addAxis(m_y, Qt::AlignLeft);
}

void CounterChart::clear()
{
    for (auto* line : m_lines)
        chart()->removeSeries(line), delete line;
    m_lines.clear();
}

int CounterChart::seriesCount() const
{
    return int(m_lines.size());
}

int CounterChart::pointCount(int series) const
{
    return m_lines.at(std::size_t(series))->count();
}

void CounterChart::update(const std::vector<CounterSeries>& series, std::int64_t startNs)
{
    while (m_lines.size() < series.size()) {
        auto* line = new QLineSeries;
        chart()->addSeries(line);
        line->attachAxis(m_x);
        line->attachAxis(m_y);
        m_lines.push_back(line);
        applySeriesColours();
    }
    // Before the run's first span the start is not known yet: count from the first sample, not from boot.
    if (startNs == 0)
        for (const auto& s : series)
            if (!s.points.empty())
                startNs = startNs == 0 ? s.points.front().first : std::min(startNs, s.points.front().first);
    double maxX = 1, maxY = 1, minY = 0;
    for (std::size_t s = 0; s < series.size(); ++s) {
        const auto& points = series[s].points;
        m_lines[s]->setName(series[s].name);
        // Replace in one call (one repaint); thin to at most kMaxPoints, always keeping the last sample.
        const std::size_t stride = points.size() / kMaxPoints + 1;
        QList<QPointF> shown;
        shown.reserve(qsizetype(points.size() / stride) + 2);
        for (std::size_t i = 0; i < points.size(); i += stride)
            shown.append(QPointF(double(points[i].first - startNs) / 1e6, double(points[i].second)));
        if (!points.empty() && (points.size() - 1) % stride != 0)
            shown.append(QPointF(double(points.back().first - startNs) / 1e6, double(points.back().second)));
        for (const auto& p : shown) {
            maxX = std::max(maxX, p.x());
            maxY = std::max(maxY, p.y());
            minY = std::min(minY, p.y());
        }
        m_lines[s]->replace(shown);
    }
    fitNicely(m_x, 0, maxX);
    // Whole-number counters: at least 0..4, so five ticks never read "0, 1, 1, 2".
    fitNicely(m_y, minY, std::max(maxY * 1.02, minY + 4)); // a line along the top edge would be hidden
}

} // namespace tl::ui
