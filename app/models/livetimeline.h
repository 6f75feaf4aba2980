#pragma once

#include "timelinedata.h"

#include <run/collector.h>

#include <memory>

namespace tl::ui {

// The timeline of a run as it happens: grows with every collector batch by the spans the collector built,
// showing spans still in progress up to the batch's time. The collector's last batch closes every lane, so
// when the run ends finish() has the exact timeline without building it again.
class LiveTimeline {
public:
    void reset(const QString& title, const QString& subtitle);
    void append(const TraceBatch& batch);
    // The run has ended and its last batch is in: what the batches built is its whole timeline, made final
    // here (holds others waited for marked contended, the range of the workers' events).
    void finish(const Trace& trace);

    const TimelineData& data() const { return *m_data; }
    // The current timeline, kept alive for as long as the caller holds it (e.g. a background export of a
    // finished run); reset() starts a new one. While live it changes in place: only the window's thread
    // reads it then (exports wait for the run to finish).
    std::shared_ptr<const TimelineData> snapshot() const { return m_data; }
    const std::vector<CounterSeries>& counters() const { return m_data->counters; }

private:
    void dropOpenSpans();

    std::shared_ptr<TimelineData> m_data = std::make_shared<TimelineData>();
    std::vector<bool> m_openShown; // lane's last span is a provisional, still-open one
};

} // namespace tl::ui
