#pragma once

#include <QJsonObject>
#include <QWidget>

class QChart;
class QChartView;

namespace tl::ui {

// A small XY chart a scenario describes in its results under "chart" (ipc-throughput: bytes per second by
// payload size):
//   {"title": t, "x_title": t, "y_title": t, "x_log": bool,
//    "series": [{"name": n, "points": [[x, y], ...]}, ...]}
// Behind the same Qt Charts seam as CounterChart.
class ResultChart : public QWidget {
    Q_OBJECT
public:
    explicit ResultChart(QWidget* parent = nullptr);

    // Shows `chart`; false (and nothing shown) when it is empty.
    bool show(const QJsonObject& chart);
    int seriesCount() const;

protected:
    void changeEvent(QEvent* e) override;

private:
    void followPalette();

    QChart* m_chart;
    QChartView* m_view;
};

} // namespace tl::ui
