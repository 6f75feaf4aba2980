#include "counterchart.h"

#include <QChart>
#include <QLineSeries>
#include <QValueAxis>

namespace tl::ui {

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
        shown.reserve(qsizetype(points.size() / stride + 2));
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
    m_x->setRange(0, maxX);
    // Whole-number counters: at least 0..4, so five ticks never read "0, 1, 1, 2".
    m_y->setRange(minY, std::max(maxY * 1.05, minY + 4));
    m_x->applyNiceNumbers(); // round tick values: 0, 50, 100 ms rather than 0, 58, 116
    m_y->applyNiceNumbers();
}

} // namespace tl::ui
