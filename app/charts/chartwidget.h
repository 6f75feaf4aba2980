#pragma once

#include <QColor>
#include <QList>
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
    // Each series' colour (a bar series: its sets'), in order.
    QList<QColor> seriesColours() const;

protected:
    QChart* chart() const { return m_chart; }
    void changeEvent(QEvent* e) override;
    // Series colours of our own, by position: a theme change (which resets them to the theme's palette)
    // must not swap which colour means which series. Call after adding series.
    void applySeriesColours();

private:
    void followPalette();

    QChart* m_chart;
    QChartView* m_view;
};

} // namespace tl::ui
