#include "livetimeline.h"

namespace tl::ui {

void LiveTimeline::reset(const QString& title, const QString& subtitle)
{
    m_data = std::make_shared<TimelineData>();
    m_data->title = title;
    m_data->subtitle = subtitle;
    m_openShown.clear();
}

void LiveTimeline::dropOpenSpans()
{
    for (std::size_t i = 0; i < m_openShown.size(); ++i) {
        if (m_openShown[i]) {
            m_data->lanes[i].spans.pop_back();
            m_data->lanes[i].updateIndex();
        }
        m_openShown[i] = false;
    }
}

void LiveTimeline::append(const TraceBatch& batch)
{
    dropOpenSpans();
    m_data->endNs = batch.nowNs;
    m_data->zeroNs = batch.startNs; // known from the first batch: no axis counts from the machine's boot
    m_data->lockNames = batch.lockNames;
    m_data->phases = batch.phases;

    // Workers are only ever added; name the new lanes once.
    const std::size_t known = m_data->lanes.size();
    if (batch.workers.size() > known) {
        m_data->lanes.resize(batch.workers.size());
        m_openShown.resize(batch.workers.size(), false);
    }
    for (std::size_t i = known; i < batch.workers.size(); ++i)
        m_data->lanes[i].name = batch.workers[i].name;
    // A child process's lane exists before its pid is known, so the label follows the workers.
    for (std::size_t i = 0; i < batch.workers.size(); ++i)
        if (m_data->lanes[i].pid != batch.workers[i].pid) {
            m_data->lanes[i].pid = batch.workers[i].pid;
            m_data->lanes[i].group = processLabel(batch.workers[i]);
        }
    appendCounterSamples(m_data->counters, batch.counterNames, batch.samples);

    for (std::size_t i = 0; i < batch.lanes.size() && i < m_data->lanes.size(); ++i) {
        const LaneDelta& delta = batch.lanes[i];
        TimelineLane& lane = m_data->lanes[i];
        // The run starts at its earliest span.
        const Span* first = !delta.spans.empty() ? &delta.spans.front() : delta.hasOpen ? &delta.open : nullptr;
        if (first && (m_data->startNs == 0 || first->start < m_data->startNs))
            m_data->startNs = first->start;
        lane.spans.append(delta.spans);
        lane.gaps.insert(lane.gaps.end(), delta.gaps.begin(), delta.gaps.end());
        lane.marks.insert(lane.marks.end(), delta.marks.begin(), delta.marks.end());
        if (delta.hasOpen) {
            lane.spans.push_back(delta.open);
            m_openShown[i] = true;
        }
        lane.updateIndex();
    }
}

void LiveTimeline::finish(const Trace& trace)
{
    // In place, though the view holds it: copying it first took a 100 M-event run's spans (2.4 GB, faulted
    // in afresh) 5 s of the window's thread.
    dropOpenSpans();
    m_data->markContendedHolds();
    // Lanes, locks and phases came with the last batch; the range is the workers' events, not the batch's time.
    std::tie(m_data->startNs, m_data->endNs) = trace.activeRange();
    m_data->zeroNs = trace.startNs;
}

} // namespace tl::ui
