#include "resultchart.h"

#include <models/pngoutput.h>

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QFileInfo>
#include <QFontMetricsF>
#include <QImage>
#include <QJsonArray>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QStyle>
#include <QSvgGenerator>
#include <QValueAxis>
#include <cmath>
#include <trace/outputfile.h>

namespace tl::ui {

ResultChart::ResultChart(QWidget* parent)
    : ChartWidget(parent)
{
    setAccessibleName(tr("Results chart"));
    setMinimumWidth(320);
    // The bars' width is known once the chart has laid out its plot area.
    connect(chart(), &QChart::plotAreaChanged, this, &ResultChart::fitBarLabels);
}

QString ResultChart::categoryLabel(const QString& category)
{
    // "memory (KiB)" needs more than a third of a 320 px chart, and Qt truncates it to "mem…": the unit goes
    // on a line of its own (axis labels are HTML).
    QString label = category.toHtmlEscaped();
    if (const auto unit = label.lastIndexOf(QStringLiteral(" (")); unit > 0)
        label.replace(unit, 1, QStringLiteral("<br>"));
    return label;
}

double ResultChart::barWidthPx() const
{
    const auto series = chart()->series();
    auto* bars = series.isEmpty() ? nullptr : qobject_cast<QAbstractBarSeries*>(series.first());
    const auto* axis = bars && !bars->attachedAxes().isEmpty()
        ? qobject_cast<QBarCategoryAxis*>(bars->attachedAxes().first())
        : nullptr;
    if (!axis || axis->count() == 0 || bars->count() == 0)
        return 0;
    return chart()->plotArea().width() / axis->count() * bars->barWidth() / bars->count();
}

void ResultChart::fitBarLabels()
{
    const auto series = chart()->series();
    auto* bars = series.isEmpty() ? nullptr : qobject_cast<QAbstractBarSeries*>(series.first());
    if (!bars)
        return;
    // A label wider than its bar runs under its neighbours' ("429760" read "2976"): stand it on end then,
    // from the bar's base, where it needs only a line's height of the bar's width.
    double widest = 0;
    for (QBarSet* set : bars->barSets())
        for (int i = 0; i < set->count(); ++i)
            widest = std::max(
                widest, QFontMetricsF(set->labelFont()).horizontalAdvance(QString::number(set->at(i), 'g', 9)));
    const bool upright = widest + 4 > barWidthPx();
    // 360, not 0: Qt 6.4 rotates a label only for an angle other than 0, so one stood up stayed up.
    bars->setLabelsAngle(upright ? -90 : 360);
    bars->setLabelsPosition(upright ? QAbstractBarSeries::LabelsInsideBase : QAbstractBarSeries::LabelsCenter);
}

int ResultChart::seriesCount() const
{
    return int(chart()->series().size());
}

bool ResultChart::show(const QJsonObject& spec)
{
    setMinimumWidth(320);
    chart()->removeAllSeries();
    for (QAbstractAxis* axis : chart()->axes())
        chart()->removeAxis(axis), delete axis;
    const QJsonArray series = spec[u"series"].toArray();
    if (series.isEmpty())
        return false;
    chart()->setTitle(spec[u"title"].toString());
    if (spec[u"kind"].toString() == u"bars")
        return showBars(spec);

    QAbstractAxis* x = nullptr;
    if (spec[u"x_log"].toBool()) {
        auto* log = new QLogValueAxis;
        log->setBase(4);
        log->setLabelFormat(QStringLiteral("%g"));
        x = log;
    } else {
        auto* linear = new QValueAxis;
        if (spec[u"x_integer"].toBool()) { // counts (workers): a tick on every whole number
            double last = 1;
            for (const auto& s : series)
                for (const auto& p : s[u"points"].toArray())
                    last = std::max(last, p[0].toDouble());
            linear->setRange(1, last);
            linear->setTickCount(int(last));
            linear->setLabelFormat(QStringLiteral("%.0f"));
        }
        x = linear;
    }
    auto* y = new QValueAxis;
    x->setTitleText(spec[u"x_title"].toString());
    y->setTitleText(spec[u"y_title"].toString());
    y->setLabelFormat(QStringLiteral("%.1f"));
    chart()->addAxis(x, Qt::AlignBottom);
    chart()->addAxis(y, Qt::AlignLeft);
    double maxY = 0;
    for (const auto& s : series) {
        auto* line = new QLineSeries;
        line->setName(s[u"name"].toString());
        line->setPointsVisible(!s[u"dashed"].toBool());
        for (const auto& p : s[u"points"].toArray()) {
            line->append(p[0].toDouble(), p[1].toDouble());
            maxY = std::max(maxY, p[1].toDouble());
        }
        chart()->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
        if (s[u"dashed"].toBool()) { // guides (an ideal line, a marker): after addSeries, which sets the pen
            QPen pen = line->pen();
            pen.setStyle(Qt::DashLine);
            pen.setWidthF(1.5);
            line->setPen(pen);
        }
    }
    y->setRange(0, maxY * 1.05);
    y->applyNiceNumbers();
    applySeriesColours();
    return true;
}

bool ResultChart::showBars(const QJsonObject& spec)
{
    auto* bars = new QBarSeries;
    double lowest = 0, highest = 0;
    for (const auto& s : spec[u"series"].toArray()) {
        auto* set = new QBarSet(s[u"name"].toString());
        for (const auto& v : s[u"values"].toArray()) {
            // Qt formats the label of the value itself ('g' at the labels' precision: "1.003e+05" at 4, and a
            // 6-digit "897.165" outgrew its bar): round the value to what the label should say instead,
            // which moves no bar by a pixel.
            const double shown = v.toDouble() >= 100 ? std::round(v.toDouble()) : std::round(v.toDouble() * 10) / 10;
            *set << shown;
            lowest = lowest == 0 ? v.toDouble() : std::min(lowest, v.toDouble());
            highest = std::max(highest, v.toDouble());
        }
        bars->append(set);
    }
    bars->setLabelsVisible(true);
    bars->setLabelsFormat(QStringLiteral("@value"));
    bars->setLabelsPrecision(9); // enough for every rounded value to print whole
    bars->setBarWidth(0.9); // room for the labels
    chart()->addSeries(bars);
    auto* categories = new QBarCategoryAxis;
    for (const auto& c : spec[u"categories"].toArray())
        categories->append(categoryLabel(c.toString()));
    chart()->addAxis(categories, Qt::AlignBottom);
    bars->attachAxis(categories);
    // Qt gives a category label the axis' width over (categories + 1), less padding, and truncates a word
    // that needs more ("memory" read "mem..." at 300 px): ask for a width where the widest word fits.
    const QFontMetricsF labelFont(categories->labelsFont());
    double widestWord = 0;
    for (const QString& category : categories->categories())
        for (const QString& word : QString(category).replace(QStringLiteral("<br>"), QStringLiteral(" ")).split(u' '))
            widestWord = std::max(widestWord, labelFont.horizontalAdvance(word));
    constexpr int kAxisAndMargins = 110; // the value axis' labels, the chart's margins
    setMinimumWidth(std::max(320, int(std::ceil((widestWord + 16) * (categories->count() + 1))) + kAxisAndMargins));
    QAbstractAxis* y = nullptr;
    if (spec[u"y_log"].toBool() && lowest > 0) {
        auto* log = new QLogValueAxis;
        log->setLabelFormat(QStringLiteral("%.0f")); // "1000000", not "1e+06"
        log->setRange(std::pow(10, std::floor(std::log10(lowest))), std::pow(10, std::ceil(std::log10(highest * 1.5))));
        y = log;
    } else {
        auto* linear = new QValueAxis;
        linear->setRange(0, highest * 1.1);
        y = linear;
    }
    chart()->addAxis(y, Qt::AlignLeft);
    bars->attachAxis(y);
    applySeriesColours();
    fitBarLabels();
    return true;
}

bool exportChartFile(const QJsonObject& spec, const QString& path, QString* error, QSize size)
{
    ResultChart chart;
    chart.setPalette(chart.style()->standardPalette()); // light, whatever the window's theme
    chart.resize(size);
    if (!chart.show(spec)) {
        *error = QStringLiteral("this run has no chart to export");
        return false;
    }
    const bool svg = QFileInfo(path).suffix().compare(u"svg", Qt::CaseInsensitive) == 0;
    return writeOutput(
        path,
        [&](QIODevice& out) {
            if (svg) {
                QSvgGenerator generator;
                generator.setOutputDevice(&out);
                generator.setSize(size);
                generator.setViewBox(QRect(QPoint(0, 0), size));
                generator.setTitle(spec[u"title"].toString());
                QPainter painter(&generator);
                chart.render(&painter);
                return painter.end(); // writes the closing tags before the file is committed
            }
            // Opaque (filled white): RGB32 goes to the PNG encoder as it is, with no converted copy (which Qt
            // 6.4 leaks when the encoder fails).
            QImage image(size * 2, QImage::Format_RGB32);
            image.setDevicePixelRatio(2);
            image.fill(Qt::white);
            QPainter painter(&image);
            chart.render(&painter);
            painter.end();
            return writePng(image, out);
        },
        error);
}

} // namespace tl::ui
