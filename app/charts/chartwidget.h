#pragma once

#include <QWidget>

class QChart;
class QChartView;

namespace tl::ui {

// What every Qt Charts side plot shares: a chart in an antialiased view, the legend at the bottom, and
// colours that follow the window's palette (light or dark theme). The seam to Qt Charts is this folder.
class ChartWidget : public QWidget {
    Q_OBJECT
public:
    explicit ChartWidget(QWidget* parent = nullptr);

protected:
    QChart* chart() const { return m_chart; }
    void changeEvent(QEvent* e) override;

private:
    void followPalette();

    QChart* m_chart;
    QChartView* m_view;
};

} // namespace tl::ui
