#pragma once

#include <models/timelinedata.h>
#include <session/run.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <vector>

namespace tl::ui {

// A finished run told in words: the scenario's own account (or the failure), then what limits the figures
// (stopped early, short of CPUs, events lost), as HTML; and its first key sentence, the headline that
// exported images carry.
struct RunAccount {
    QString html;
    QString headline;
    QString text() const; // the html as plain text, for `--json` and the terminal
};
RunAccount runAccount(const RunOutcome& outcome, const QJsonObject& summary);

// What the results panel shows: a heading, the account, the results (figures, records as tables, moments
// with a "show:FROM:TO" link) and the per-worker figures, in the scenario's declared order.
struct ResultsPage {
    QString heading;
    QString accountHtml;
    QJsonObject results;
    QJsonArray workers;
    QStringList order;
};
QString resultsHtml(const ResultsPage& page);

// The per-worker table as figures, not HTML: a "worker" column, then the JSON's own keys in the panel's order,
// each cell the JSON's value (nanoseconds, integers as integers): for a CSV that pandas reads as numbers.
struct WorkerFigures {
    QStringList header;
    std::vector<QStringList> rows;
};
WorkerFigures workerFigures(const QJsonArray& workers, const QStringList& order);

// The page while the run goes: the scenario's live results and each counter's latest value.
ResultsPage liveResultsPage(
    const QJsonObject& liveResults, const std::vector<CounterSeries>& counters, const QStringList& order);
// The page once it has ended, from its summary (see summaryJson()) and account.
ResultsPage finishedResultsPage(
    const RunOutcome& outcome, const QJsonObject& summary, const RunAccount& account, const QStringList& order);

} // namespace tl::ui
