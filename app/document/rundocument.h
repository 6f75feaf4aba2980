#pragma once

#include <document/resultshtml.h>
#include <models/livetimeline.h>
#include <session/runcontroller.h> // declares TraceBatchPtr and RunOutcome as meta types, for the signals

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>

#include <memory>

namespace tl::ui {

// The run on screen, live or finished: its timeline as it grows, its trace and outcome once it ends, and
// what is derived from them once (the summary, the account in words, the headline, the results chart).
// Panels take the document and connect themselves to its signals; whoever runs the run feeds it.
class RunDocument : public QObject {
    Q_OBJECT
public:
    enum class Lanes { ByWorker, ByCpu };

    explicit RunDocument(QObject* parent = nullptr);

    // A run of `scenario` with `params` has started: the previous run's live state goes, its trace stays
    // until this one finishes (so what was exported last can still be named).
    void start(const ScenarioInfo& scenario, const ParamSet& params);
    void appendBatch(const TraceBatchPtr& batch);
    // The run's workers are done: a new run may start, while this one's picture completes with the batches
    // still to come, until finish() (which says so first if nobody did).
    void endWorkers();
    void finish(const RunOutcome& outcome);

    bool isLive() const { return m_live; }
    // Live and its workers done: the rest of their events are being stored (a new run may start).
    bool isCompleting() const { return m_live && m_workersEndedAt >= 0; }
    double workersSeconds() const { return double(m_workersEndedAt) / 1000.0; } // once completing
    // A run has finished and its trace can be exported (false before the first one ends).
    bool hasTrace() const { return m_outcome.trace != nullptr; }
    const QString& title() const { return m_timeline.data().title; }
    double secondsSinceStart() const { return double(m_sinceStart.elapsed()) / 1000.0; }

    // The timeline by worker, as it grows and once final.
    const TimelineData& timeline() const { return m_timeline.data(); }
    std::shared_ptr<const TimelineData> timelineSnapshot() const { return m_timeline.snapshot(); }
    const std::vector<CounterSeries>& counters() const { return m_timeline.counters(); }
    // What the timeline shows and exports: by worker, or by CPU once the run has finished.
    std::shared_ptr<const TimelineData> shownTimeline();
    Lanes lanes() const { return m_lanes; }
    void setLanes(Lanes lanes);

    const RunOutcome& outcome() const { return m_outcome; }
    const std::shared_ptr<const Trace>& trace() const { return m_outcome.trace; }
    const QJsonObject& summary() const { return m_summary; } // as `threadlab run --json` prints it
    const RunAccount& account() const { return m_account; }
    const QString& headline() const { return m_account.headline; }
    const QJsonObject& chartSpec() const { return m_chartSpec; } // the chart the results describe, or empty
    const QStringList& resultOrder() const { return m_resultOrder; } // the scenario's declared results

signals:
    void started();
    void batchAppended(const tl::TraceBatchPtr& batch);
    void workersEnded();
    void finished();
    void lanesChanged(tl::ui::RunDocument::Lanes lanes);

private:
    LiveTimeline m_timeline;
    bool m_live = false;
    QElapsedTimer m_sinceStart;
    qint64 m_workersEndedAt = -1; // ms since the start; -1 while the workers go
    QStringList m_resultOrder;
    RunOutcome m_outcome;
    QJsonObject m_summary;
    RunAccount m_account;
    QJsonObject m_chartSpec;
    Lanes m_lanes = Lanes::ByWorker;
    std::shared_ptr<const TimelineData> m_byCpu; // built when first shown
};

} // namespace tl::ui
