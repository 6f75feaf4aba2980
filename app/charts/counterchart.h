#pragma once

#include <models/livetimeline.h>

#include "chartwidget.h"

class QLineSeries;
class QValueAxis;

namespace tl::ui {

// A small line chart of a run's sampled counters over time (race-counter: expected vs actual vs lost).
// Qt Charts is slow past ~10k points and deprecated from Qt 6.10, so this is its only user and it keeps
// every series under kMaxPoints by thinning: swapping in Qt Graphs later means replacing this class only.
class CounterChart : public ChartWidget {
    Q_OBJECT
public:
    static constexpr int kMaxPoints = 2000;

    explicit CounterChart(QWidget* parent = nullptr);

    // Shows `series` (time in ns, made relative to `startNs`); cheap to call after every batch.
    void update(const std::vector<CounterSeries>& series, std::int64_t startNs);
    void clear();
    int seriesCount() const;
    int pointCount(int series) const;

private:
    QValueAxis* m_x;
    QValueAxis* m_y;
    std::vector<QLineSeries*> m_lines;
};

} // namespace tl::ui
