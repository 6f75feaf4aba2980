#pragma once

#include "chunks.h"
#include "event.h"

#include <QString>
#include <cstdint>
#include <utility>
#include <vector>

namespace tl {

// Where a lane lost events: its Lost event, noted once by the collector so that summaries need not scan
// every event of the run to find the few places data is missing.
struct LaneLoss {
    std::uint32_t worker;
    std::int64_t time; // of the Lost event: where recording resumed
    std::uint64_t lost;
    bool switchRecords = false; // the kernel's switch records (kLostSwitchRecords), not the worker's events
};

// A labelled stretch of a run that has stages (ipc-throughput's payload sizes, sweep's worker counts),
// drawn as a section across every lane.
struct Phase {
    std::int64_t start; // CLOCK_MONOTONIC ns
    std::int64_t end; // INT64_MAX while it lasts
    QString label;
};

struct WorkerInfo {
    QString name;
    QString group; // the process it belongs to, as the timeline groups lanes
    std::int64_t pid = 0;
    std::int64_t tid = 0;
};

// A finished (or in-progress, on the collector's side) run: every event, per worker lane in time order.
// Times are CLOCK_MONOTONIC ns. Only the collector appends; once published it is read-only.
struct Trace {
    QString scenario;
    std::vector<std::pair<QString, QString>> params; // name → value as the user would type it
    std::vector<WorkerInfo> workers;
    std::vector<ChunkedVector<Event>> lanes; // lanes[w] = events of worker w
    std::vector<QString> lockNames; // index = lock id
    std::vector<Phase> phases; // in time order, back to back or apart
    std::vector<QString> counterNames; // index = counter id
    std::vector<CounterSample> counterSamples;
    std::int64_t startNs = 0;
    std::int64_t endNs = 0;
    std::uint64_t droppedEvents = 0; // each loss is also a Lost event in its lane, where the gap is
    // The run's recording memory (RecordingBudget) and when it was spent (0: never): from then on the
    // in-process workers' events were dropped.
    std::size_t recordingBudgetBytes = 0;
    std::int64_t recordingBudgetSpentNs = 0;
    std::vector<LaneLoss> losses; // those Lost events, in the order the collector stored them
    // Which clock the recorders ticked on ("tsc" or "clock_monotonic"), for the account of the run.
    QString tickSource;
    QString schedulerSource; // RunContext::schedulerSource(): how off-CPU time was learnt, if at all
    QString schedulerNote; // RunContext::schedulerNote(): why the kernel's switch records are missing

    std::size_t eventCount() const; // lane events and counter samples
    std::size_t laneEventCount() const;
    // The workers' time: per lane, from its first event to its last, summed. What recording is weighed against.
    std::int64_t workerTimeNs() const;
    // Memory the lanes' events take (whole pool chunks): close to 16 bytes an event.
    std::size_t storedBytes() const;
    // The first and last worker event (startNs/endNs when there is none): the range worth showing.
    std::pair<std::int64_t, std::int64_t> activeRange() const;
    QString paramsText() const; // "workers=5, lock=none, ..."
};

} // namespace tl
