#include "livetimeline.h"

namespace tl::ui {

void LiveTimeline::reset(const QString& title, const QString& subtitle)
{
    m_data = std::make_shared<TimelineData>();
    m_data->title = title;
    m_data->subtitle = subtitle;
    m_builders.clear();
    m_openShown.clear();
    m_counters.clear();
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
    m_data->lockNames = batch.lockNames;

    // Workers are only ever added; name the new lanes once.
    const std::size_t known = m_data->lanes.size();
    if (batch.workers.size() > known) {
        m_data->lanes.resize(batch.workers.size());
        m_openShown.resize(batch.workers.size(), false);
        for (std::size_t i = 0; i < m_builders.size(); ++i)
            m_builders[i]->retarget(m_data->lanes[i].spans);
        while (m_builders.size() < m_data->lanes.size())
            m_builders.push_back(std::make_unique<SpanBuilder>(m_data->lanes[m_builders.size()].spans));
    }
    for (std::size_t i = known; i < batch.workers.size(); ++i)
        m_data->lanes[i].name = batch.workers[i].name;
    // A child process's lane exists before its pid is known, so the label follows the workers.
    for (std::size_t i = 0; i < batch.workers.size(); ++i)
        if (m_data->lanes[i].pid != batch.workers[i].pid) {
            m_data->lanes[i].pid = batch.workers[i].pid;
            m_data->lanes[i].group = processLabel(batch.workers[i]);
        }
    m_counters.resize(batch.counterNames.size());
    for (std::size_t c = 0; c < batch.counterNames.size(); ++c)
        m_counters[c].name = batch.counterNames[c];

    for (const Event& e : batch.events) {
        if (e.kind == EventKind::CounterSample) {
            if (e.worker < m_counters.size())
                m_counters[e.worker].points.emplace_back(e.time, e.value);
        } else if (e.worker < m_builders.size()) {
            // The run starts at its earliest worker event (a batch holds lanes one after another).
            if (m_data->startNs == 0 || e.time < m_data->startNs)
                m_data->startNs = e.time;
            m_builders[e.worker]->add(e);
        }
    }
    for (std::size_t i = 0; i < m_builders.size(); ++i) {
        Span open {};
        if (m_builders[i]->openSpan(batch.nowNs, &open)) {
            m_data->lanes[i].spans.push_back(open);
            m_openShown[i] = true;
        }
        m_data->lanes[i].updateIndex();
    }
}

void LiveTimeline::replace(const Trace& trace)
{
    m_data = std::make_shared<TimelineData>(TimelineData::fromTrace(trace));
    m_builders.clear();
    m_openShown.clear();
    m_counters.assign(trace.counterNames.size(), {});
    for (std::size_t c = 0; c < trace.counterNames.size(); ++c)
        m_counters[c].name = trace.counterNames[c];
    for (const Event& e : trace.counterSamples)
        if (e.worker < m_counters.size())
            m_counters[e.worker].points.emplace_back(e.time, e.value);
}

} // namespace tl::ui
