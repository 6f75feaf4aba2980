#include "resultchart.h"

#include <QChart>
#include <QChartView>
#include <QJsonArray>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QVBoxLayout>
#include <QValueAxis>

namespace tl::ui {

ResultChart::ResultChart(QWidget* parent)
    : QWidget(parent)
    , m_chart(new QChart)
    , m_view(new QChartView(m_chart))
{
    setAccessibleName(tr("Results chart"));
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_view->setRenderHint(QPainter::Antialiasing);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
    followPalette();
}

void ResultChart::changeEvent(QEvent* e)
{
    if (e->type() == QEvent::PaletteChange)
        followPalette();
    QWidget::changeEvent(e);
}

void ResultChart::followPalette()
{
    const bool dark = palette().color(QPalette::Base).lightness() < 128;
    m_chart->setTheme(dark ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    m_chart->setBackgroundBrush(palette().color(QPalette::Base));
}

int ResultChart::seriesCount() const
{
    return int(m_chart->series().size());
}

bool ResultChart::show(const QJsonObject& chart)
{
    m_chart->removeAllSeries();
    for (QAbstractAxis* axis : m_chart->axes())
        m_chart->removeAxis(axis), delete axis;
    const QJsonArray series = chart[u"series"].toArray();
    if (series.isEmpty())
        return false;

    QAbstractAxis* x = nullptr;
    if (chart[u"x_log"].toBool()) {
        auto* log = new QLogValueAxis;
        log->setBase(4);
        log->setLabelFormat(QStringLiteral("%g"));
        x = log;
    } else {
        x = new QValueAxis;
    }
    auto* y = new QValueAxis;
    x->setTitleText(chart[u"x_title"].toString());
    y->setTitleText(chart[u"y_title"].toString());
    y->setLabelFormat(QStringLiteral("%.1f"));
    m_chart->setTitle(chart[u"title"].toString());
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    double maxY = 0;
    for (const auto& s : series) {
        auto* line = new QLineSeries;
        line->setName(s[u"name"].toString());
        line->setPointsVisible(true);
        for (const auto& p : s[u"points"].toArray()) {
            line->append(p[0].toDouble(), p[1].toDouble());
            maxY = std::max(maxY, p[1].toDouble());
        }
        m_chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    }
    y->setRange(0, maxY * 1.05);
    y->applyNiceNumbers();
    return true;
}

} // namespace tl::ui
