#include "chartwidget.h"

#include <QChart>
#include <QChartView>
#include <QVBoxLayout>

namespace tl::ui {

ChartWidget::ChartWidget(QWidget* parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_view(new QChartView(m_chart))
{
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_view->setRenderHint(QPainter::Antialiasing);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    followPalette();
}

void ChartWidget::changeEvent(QEvent* e)
{
    if (e->type() == QEvent::PaletteChange)
        followPalette();
    QWidget::changeEvent(e);
}

void ChartWidget::followPalette()
{
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    m_chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    m_chart->setBackgroundBrush(palette().color(QPalette::Base));
}

} // namespace tl::ui
