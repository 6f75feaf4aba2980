#include "resultshtml.h"

#include <models/resultcells.h>
#include <run/workers.h>
#include <scenarios/registry.h>
#include <session/tracedsource.h>
#include <timeline/timelineexport.h>

#include <QCoreApplication>

#include <algorithm>
#include <cmath>

namespace tl::ui {

namespace {
QString tr(const char* text)
{
    return QCoreApplication::translate("ResultsHtml", text);
}

using Record = std::pair<QString, QJsonObject>; // a row's label (empty when unlabelled) and its figures

bool isListOfRecords(const QJsonValue& v)
{
    return v.isArray() && !v.toArray().isEmpty() && v.toArray().first().isObject();
}

// Records (rows of figures) read best as a table of their own: a list of them, or an object of labelled ones.
bool isRecords(const QJsonValue& v)
{
    if (v.isArray())
        return isListOfRecords(v);
    if (!v.isObject() || v.toObject().isEmpty())
        return false;
    const QJsonObject o = v.toObject();
    return std::all_of(o.begin(), o.end(), [](const QJsonValue& x) { return x.isObject(); });
}

// One flat record (no records inside it) reads as a one-row table.
bool isFlatRecord(const QJsonValue& v)
{
    const QJsonObject o = v.toObject();
    return v.isObject()
        && std::none_of(o.begin(), o.end(), [](const QJsonValue& x) { return x.isObject() || isListOfRecords(x); });
}

QList<Record> unlabelled(const QJsonArray& rows)
{
    QList<Record> records;
    for (const auto& r : rows)
        records.append({ QString(), r.toObject() });
    return records;
}

// Headers stay whole: squeezed, Qt broke them inside words ("execu tor" at 1024 px).
QString headerCell(const QString& key)
{
    return QStringLiteral("<th>%1</th>").arg(resultLabel(key).replace(u' ', QStringLiteral("&nbsp;")));
}

// The columns of a table of records: every plain figure any row has, in reading order.
QStringList recordColumns(const QList<Record>& rows, const QStringList& order)
{
    QStringList keys;
    for (const auto& [label, row] : rows)
        for (auto k = row.begin(); k != row.end(); ++k)
            if (!keys.contains(k.key()) && !isListOfRecords(*k) && k.key() != u"from_ns" && k.key() != u"to_ns")
                keys << k.key();
    return readingOrder(keys, order);
}

// A table of records; a record's own lists of records (a batch's tasks) follow it as further tables. A
// record with from_ns and to_ns (a moment of the run, e.g. a lost update) gets a link that shows it.
QString recordTable(const QString& title, const QList<Record>& rows, const QStringList& order)
{
    const QStringList keys = recordColumns(rows, order);
    const bool moments = rows.first().second.contains(u"from_ns");
    const bool labelled = !rows.first().first.isEmpty();
    QString t = QStringLiteral("<tr><td valign=top><b>%1</b></td><td><table border=1 cellspacing=0 "
                               "cellpadding=2><tr>%2")
                    .arg(title, labelled ? QStringLiteral("<th></th>") : QString());
    for (const auto& k : keys)
        t += headerCell(k);
    t += moments ? QStringLiteral("<th></th></tr>") : QStringLiteral("</tr>");
    QString nested;
    for (const auto& [label, row] : rows) {
        t += labelled ? QStringLiteral("<tr><td><b>%1</b></td>").arg(resultLabel(label)) : QStringLiteral("<tr>");
        for (const auto& k : keys)
            t += QStringLiteral("<td align=right>%1</td>").arg(resultCell(k, row.value(k)));
        if (moments)
            t += QStringLiteral("<td><a href=\"show:%1:%2\">show</a></td>")
                     .arg(row[u"from_ns"].toInteger())
                     .arg(row[u"to_ns"].toInteger());
        t += QStringLiteral("</tr>");
        for (const QString& key : readingOrder(row.keys(), order))
            if (isListOfRecords(row[key]))
                nested += recordTable(QStringLiteral("%1 %2").arg(label, resultLabel(key)).trimmed(),
                    unlabelled(row[key].toArray()), order);
    }
    return t + QStringLiteral("</table></td></tr>") + nested;
}

// The results: single figures as rows of one table, records after them as tables of their own.
QString resultsTable(const QJsonObject& results, const QStringList& order)
{
    QString figures, records;
    for (const QString& key : readingOrder(results.keys(), order)) {
        if (key == u"chart")
            continue; // drawn by the results chart
        const QJsonValue value = results[key];
        if (isRecords(value)) {
            QList<Record> rows;
            if (value.isArray())
                rows = unlabelled(value.toArray());
            else
                for (const QString& label : readingOrder(value.toObject().keys(), order))
                    rows.append({ label, value[label].toObject() });
            records += recordTable(resultLabel(key), rows, order);
        } else if (isFlatRecord(value)) {
            records += recordTable(resultLabel(key), { { QString(), value.toObject() } }, order);
        } else {
            figures += QStringLiteral("<tr><td><b>%1</b></td><td align=right>%2</td></tr>")
                           .arg(resultLabel(key), resultCell(key, value));
        }
    }
    return QStringLiteral("<table cellspacing=0 cellpadding=3>") + figures + records + QStringLiteral("</table>");
}

// The per-worker table's columns after the worker's name, in reading order.
QStringList workerFigureKeys(const QJsonArray& workers, const QStringList& order)
{
    QStringList keys = readingOrder(workers.first().toObject().keys(), commonWorkerFigures() + order);
    keys.removeAll(QStringLiteral("name"));
    return keys;
}

QString workersTable(const QJsonArray& workers, const QStringList& order)
{
    if (workers.isEmpty())
        return {};
    const QStringList keys = workerFigureKeys(workers, order);
    QString html = QStringLiteral("<h4>Per worker</h4><table border=1 cellspacing=0 cellpadding=3><tr><th>worker</th>");
    for (const auto& k : keys)
        html += headerCell(k);
    html += QStringLiteral("</tr>");
    for (const auto& w : workers) {
        const QJsonObject o = w.toObject();
        html += QStringLiteral("<tr><td>%1</td>").arg(o[u"name"].toString().toHtmlEscaped());
        for (const auto& k : keys)
            html += QStringLiteral("<td align=right>%1</td>").arg(resultCell(k, o.value(k)));
        html += QStringLiteral("</tr>");
    }
    return html + QStringLiteral("</table>");
}
} // namespace

WorkerFigures workerFigures(const QJsonArray& workers, const QStringList& order)
{
    WorkerFigures table;
    if (workers.isEmpty())
        return table;
    const QStringList keys = workerFigureKeys(workers, order);
    table.header = QStringList { QStringLiteral("worker") } + keys;
    auto raw = [](const QJsonValue& v) -> QString {
        if (v.isDouble()) {
            const double d = v.toDouble();
            return d == std::floor(d) && std::abs(d) < 9e15 ? QString::number(std::int64_t(d))
                                                            : QString::number(d, 'g', 15);
        }
        if (v.isBool())
            return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        if (v.isArray()) {
            QStringList items;
            for (const auto& item : v.toArray())
                items << (item.isString() ? item.toString() : QString::number(item.toDouble(), 'g', 15));
            return items.join(u' ');
        }
        return v.toString();
    };
    for (const auto& w : workers) {
        const QJsonObject o = w.toObject();
        QStringList row { o[u"name"].toString() };
        for (const QString& k : keys)
            row << raw(o.value(k));
        table.rows.push_back(row);
    }
    return table;
}

RunAccount runAccount(const RunOutcome& outcome, const QJsonObject& summary)
{
    RunAccount account;
    QString& html = account.html;
    if (outcome.status == RunOutcome::Status::Failed)
        html = tr("<b>The run failed:</b> %1").arg(outcome.error.toHtmlEscaped());
    else if (outcome.scenario.name == QLatin1StringView(kTraceSourceName))
        html = describeTrace(summary);
    else if (const auto scenario = createScenario(outcome.scenario.name))
        html = scenario->describeOutcome(summary);
    account.headline = runHeadline(outcome, html);
    if (outcome.status == RunOutcome::Status::Stopped)
        html.prepend(tr("<i>Stopped before the end: the figures cover the part that ran.</i> "));
    if (const QString cpu = cpuAccount(outcome); !cpu.isEmpty())
        html += u' ' + cpu.toHtmlEscaped();
    if (const QString gaps = gapAccount(*outcome.trace); !gaps.isEmpty())
        html += QStringLiteral(" <span style='color:#d32f2f'>%1</span>").arg(gaps.toHtmlEscaped());
    return account;
}

QString RunAccount::text() const
{
    return plainText(html);
}

QString resultsHtml(const ResultsPage& page)
{
    QString html = QStringLiteral("<h3>%1</h3>").arg(page.heading.toHtmlEscaped());
    if (!page.accountHtml.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(page.accountHtml);
    return html + resultsTable(page.results, page.order) + workersTable(page.workers, page.order);
}

ResultsPage liveResultsPage(
    const QJsonObject& liveResults, const std::vector<CounterSeries>& counters, const QStringList& order)
{
    QJsonObject results = liveResults;
    for (const auto& series : counters)
        if (!series.points.empty())
            results.insert(series.name, qint64(series.points.back().second));
    return { tr("Live"), {}, results, {}, order };
}

ResultsPage finishedResultsPage(
    const RunOutcome& outcome, const QJsonObject& summary, const RunAccount& account, const QStringList& order)
{
    // A traced program by its own name ("sh (traced)"), not the source's ("trace").
    const bool traced = outcome.scenario.name == QLatin1StringView(kTraceSourceName);
    return { tr("%1 — %2 in %3")
                 .arg(traced ? outcome.scenario.title : outcome.scenario.name, outcome.statusName(),
                     formatDuration(double(outcome.durationNs))),
        account.html, summary[u"results"].toObject(), summary[u"workers"].toArray(), order };
}

} // namespace tl::ui
