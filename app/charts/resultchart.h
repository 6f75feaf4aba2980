#pragma once

#include "chartwidget.h"

#include <QJsonObject>

namespace tl::ui {

// A small chart a scenario describes in its results under "chart". Lines (ipc-throughput: bytes per second
// by payload size; sweep: speed-up by workers):
//   {"title": t, "x_title": t, "y_title": t, "x_log": bool, "x_integer": bool (a tick per whole number),
//    "series": [{"name": n, "dashed": bool, "points": [[x, y], ...]}, ...]}
// or bars (threads-vs-processes), one group per category:
//   {"kind": "bars", "title": t, "y_log": bool, "categories": [c, ...], "series": [{"name": n, "values": [...]}]}
// Behind the same Qt Charts seam as CounterChart.
class ResultChart : public ChartWidget {
    Q_OBJECT
public:
    explicit ResultChart(QWidget* parent = nullptr);

    // Shows the chart `spec` describes; false (and nothing shown) when it has no series.
    bool show(const QJsonObject& spec);
    int seriesCount() const;
    // The width of one bar, in pixels (0 when the chart has no bars): what its value label must fit in.
    double barWidthPx() const;
    // How a category is labelled on the axis (HTML): its unit, "(µs)", on a line of its own.
    static QString categoryLabel(const QString& category);

private:
    bool showBars(const QJsonObject& spec);
    void fitBarLabels();
};

// Draws the chart `spec` describes into a PNG or SVG file (by the name's extension), in the light theme, as
// an export should look whatever the window's theme. Written atomically; false and a reason on failure.
bool exportChartFile(const QJsonObject& spec, const QString& path, QString* error, QSize size = QSize(960, 600));

} // namespace tl::ui
