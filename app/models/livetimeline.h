#pragma once

#include "timelinedata.h"

#include <run/collector.h>

#include <memory>

namespace tl::ui {

// The timeline of a run as it happens: grows with every collector batch by the spans the collector built,
// showing spans still in progress up to the batch's time. When the run ends, replace() swaps in the exact
// timeline of the finished trace (with holds marked contended where others waited).
class LiveTimeline {
public:
    void reset(const QString& title, const QString& subtitle);
    void append(const TraceBatch& batch);
    void replace(const Trace& trace);
    // The finished run, from spans built on the run's thread (RunOutcome::spans), which it takes over.
    void replace(const Trace& trace, std::vector<LaneSpans>&& spans);

    const TimelineData& data() const { return *m_data; }
    // The current timeline, kept alive for as long as the caller holds it (e.g. a background export);
    // reset() and replace() start a new one rather than changing it.
    std::shared_ptr<const TimelineData> snapshot() const { return m_data; }
    const std::vector<CounterSeries>& counters() const { return m_data->counters; }

private:
    void dropOpenSpans();

    std::shared_ptr<TimelineData> m_data = std::make_shared<TimelineData>();
    std::vector<bool> m_openShown; // lane's last span is a provisional, still-open one
};

} // namespace tl::ui
