#include "statusbarpanel.h"

#include <document/rundocument.h>
#include <trace/contextswitches.h>
#include <trace/recorder.h>

#include <QLabel>
#include <QProgressBar>

namespace tl::ui {

StatusBarPanel::StatusBarPanel(RunDocument* document, QWidget* parent)
    : QStatusBar(parent)
    , m_document(document)
    , m_state(new QLabel(tr("Ready")))
    , m_events(new QLabel)
    , m_overhead(new QLabel)
    , m_progress(new QProgressBar)
{
    m_events->setToolTip(tr("Events recorded, and events dropped because a worker's buffer was full"));
    m_overhead->setToolTip(tr("Estimated share of the workers' time spent recording events "
                              "(events × %1 ns measured per event on this machine)")
                               .arg(Recorder::costPerEventNs(), 0, 'f', 1));
    m_progress->setRange(0, 0);
    m_progress->setMaximumWidth(120);
    m_progress->setAccessibleName(tr("Run in progress"));
    m_progress->setVisible(false);
    addWidget(m_state);
    addPermanentWidget(m_events);
    addPermanentWidget(m_overhead);
    addPermanentWidget(m_progress);

    connect(document, &RunDocument::started, this, [this] {
        m_progress->setRange(0, 0);
        m_progress->setAccessibleName(tr("Run in progress"));
        m_progress->show();
        m_completingFrom = 0;
        // Not "Ready" (or the last run's end) until the first batch comes in.
        m_state->setText(tr("Starting %1…").arg(m_document->title()));
    });
    connect(document, &RunDocument::workersEnded, this, [this] {
        m_state->setText(
            tr("Workers done after %1 s — completing the picture…").arg(m_document->workersSeconds(), 0, 'f', 1));
        m_progress->setAccessibleName(tr("Picture completing"));
    });
    connect(document, &RunDocument::batchAppended, this, &StatusBarPanel::showBatch);
    connect(document, &RunDocument::finished, this, &StatusBarPanel::showFinished);
}

void StatusBarPanel::showStopping()
{
    m_state->setText(tr("Stopping…"));
}

void StatusBarPanel::showBatch(const TraceBatchPtr& batch)
{
    showEvents(batch->totalEvents, batch->droppedEvents, recordingOverhead(batch->laneEvents, batch->workerNs));
    if (m_document->isCompleting()) {
        showCompleting(*batch);
        return;
    }
    QString state = tr("Running %1 — %2 s").arg(m_document->title()).arg(m_document->secondsSinceStart(), 0, 'f', 1);
    // On a busy machine the collector may fall behind the workers: the live view says by how much (nothing is
    // lost meanwhile, and the final picture has everything).
    if (batch->lagNs >= 200'000'000)
        state += tr(" — live view %1 s behind (%L2 events waiting)")
                     .arg(double(batch->lagNs) / 1e9, 0, 'f', 1)
                     .arg(batch->pendingEvents);
    m_state->setText(state);
}

void StatusBarPanel::showCompleting(const TraceBatch& batch)
{
    // The workers recorded faster than the collector stores (a busy run on few cores): what they left is
    // stored slice by slice, and the bar counts it down. Nothing is lost meanwhile.
    if (batch.pendingEvents == 0)
        return; // stored: the last batch closes the lanes
    m_completingFrom = std::max(m_completingFrom, batch.pendingEvents);
    m_progress->setRange(0, 1000);
    m_progress->setValue(int(1000 - 1000 * batch.pendingEvents / m_completingFrom));
    const double drawnTo = double(batch.nowNs - batch.lagNs - batch.startNs) / 1e9; // the oldest event waiting
    m_state->setText(tr("Workers done after %1 s — completing the picture: drawn up to %2 s, %L3 events to "
                        "store. Run starts the next run and drops the rest of this one.")
                         .arg(m_document->workersSeconds(), 0, 'f', 1)
                         .arg(drawnTo, 0, 'f', 1)
                         .arg(batch.pendingEvents));
}

void StatusBarPanel::showFinished()
{
    const RunOutcome& outcome = m_document->outcome();
    const Trace& trace = *outcome.trace;
    m_progress->hide();
    showEvents(
        trace.eventCount(), trace.droppedEvents, recordingOverhead(trace.laneEventCount(), trace.workerTimeNs()));
    // Say which source told when a worker had no CPU: without one, a descheduled moment inside a span is
    // drawn as that span's state.
    const QString& source = trace.schedulerSource;
    m_overhead->setText(m_overhead->text()
        + tr(" · off-CPU time: %1")
              .arg(source == QLatin1String(kContextSwitchSource) ? tr("kernel context switches")
                      : source == u"schedstat"                   ? tr("schedstat at task checkpoints")
                                                                 : tr("not detected")));
    m_overhead->setToolTip(
        tr("Where ThreadLab learnt when a worker was ready but had no CPU, or blocked in the kernel. "
           "\"kernel context switches\": the kernel's own record of every switch of every worker thread. "
           "\"not detected\": only what the workers recorded, so time the kernel took a worker off its CPU "
           "inside a span is drawn as that span's state.")
        + (trace.schedulerNote.isEmpty() ? QString()
                                         : tr("\nThe kernel's records were refused: %1").arg(trace.schedulerNote)));
    m_state->setText(outcome.status == RunOutcome::Status::Failed ? tr("Failed: %1").arg(outcome.error)
                                                                  : tr("Finished (%1)").arg(outcome.statusName()));
}

void StatusBarPanel::showEvents(std::uint64_t events, std::uint64_t dropped, const RecordingOverhead& overhead)
{
    QString text = tr("%L1 events").arg(events);
    if (dropped > 0)
        text += tr(", <span style='color:#d32f2f'><b>%L1 lost</b></span> (hatched gaps)").arg(dropped);
    m_events->setText(text);
    // Share of the workers' time spent in record(): worker events x the measured cost of one, over the
    // workers' time (the same figure as recording_overhead in threadlab run --json).
    const double share = overhead.share();
    m_overhead->setText(share < 0.001 ? tr("recording < 0.1% of worker time")
                                      : tr("recording ≈ %1 of worker time").arg(percent(share)));
}

} // namespace tl::ui
