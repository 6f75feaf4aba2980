#include "chartwidget.h"

#include <QAbstractBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QVBoxLayout>
#include <QXYSeries>
#include <array>

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
    applySeriesColours();
}

QList<QColor> ChartWidget::seriesColours() const
{
    QList<QColor> colours;
    for (QAbstractSeries* series : m_chart->series()) {
        if (auto* xy = qobject_cast<QXYSeries*>(series))
            colours << xy->color();
        else if (auto* bars = qobject_cast<QAbstractBarSeries*>(series))
            for (QBarSet* set : bars->barSets())
                colours << set->color();
    }
    return colours;
}

void ChartWidget::applySeriesColours()
{
    // Legible on the light and the dark background alike.
    static const std::array<QColor, 6> kColours { QColor(0x4e, 0x79, 0xa7), QColor(0xe1, 0x57, 0x59),
        QColor(0xf2, 0x8e, 0x2b), QColor(0x59, 0xa1, 0x4f), QColor(0xb0, 0x7a, 0xa1), QColor(0x76, 0xb7, 0xb2) };
    std::size_t next = 0;
    for (QAbstractSeries* series : m_chart->series()) {
        if (auto* xy = qobject_cast<QXYSeries*>(series)) {
            QPen pen = xy->pen(); // keeps a guide's dashes and width
            pen.setColor(kColours[next++ % kColours.size()]);
            xy->setPen(pen);
            xy->setColor(pen.color());
        } else if (auto* bars = qobject_cast<QAbstractBarSeries*>(series)) {
            for (QBarSet* set : bars->barSets()) {
                set->setColor(kColours[next % kColours.size()]);
                set->setBorderColor(kColours[next++ % kColours.size()]);
            }
        }
    }
}

} // namespace tl::ui
