#pragma once

#include "chartwidget.h"

#include <QJsonObject>

namespace tl::ui {

// A small XY chart a scenario describes in its results under "chart" (ipc-throughput: bytes per second by
// payload size):
//   {"title": t, "x_title": t, "y_title": t, "x_log": bool,
//    "series": [{"name": n, "points": [[x, y], ...]}, ...]}
// Behind the same Qt Charts seam as CounterChart.
class ResultChart : public ChartWidget {
    Q_OBJECT
public:
    explicit ResultChart(QWidget* parent = nullptr);

    // Shows the chart `spec` describes; false (and nothing shown) when it has no series.
    bool show(const QJsonObject& spec);
    int seriesCount() const;
};

} // namespace tl::ui
