#include "resultchart.h"

#include <QChart>
#include <QJsonArray>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QValueAxis>

namespace tl::ui {

ResultChart::ResultChart(QWidget* parent)
    : ChartWidget(parent)
{
    setAccessibleName(tr("Results chart"));
}

int ResultChart::seriesCount() const
{
    return int(chart()->series().size());
}

bool ResultChart::show(const QJsonObject& spec)
{
    chart()->removeAllSeries();
    for (QAbstractAxis* axis : chart()->axes())
        chart()->removeAxis(axis), delete axis;
    const QJsonArray series = spec[u"series"].toArray();
    if (series.isEmpty())
        return false;

    QAbstractAxis* x = nullptr;
    if (spec[u"x_log"].toBool()) {
        auto* log = new QLogValueAxis;
        log->setBase(4);
        log->setLabelFormat(QStringLiteral("%g"));
        x = log;
    } else {
        x = new QValueAxis;
    }
    auto* y = new QValueAxis;
    x->setTitleText(spec[u"x_title"].toString());
    y->setTitleText(spec[u"y_title"].toString());
    y->setLabelFormat(QStringLiteral("%.1f"));
    chart()->setTitle(spec[u"title"].toString());
    chart()->addAxis(x, Qt::AlignBottom);
    chart()->addAxis(y, Qt::AlignLeft);
    double maxY = 0;
    for (const auto& s : series) {
        auto* line = new QLineSeries;
        line->setName(s[u"name"].toString());
        line->setPointsVisible(true);
        for (const auto& p : s[u"points"].toArray()) {
            line->append(p[0].toDouble(), p[1].toDouble());
            maxY = std::max(maxY, p[1].toDouble());
        }
        chart()->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    }
    y->setRange(0, maxY * 1.05);
    y->applyNiceNumbers();
    return true;
}

} // namespace tl::ui
