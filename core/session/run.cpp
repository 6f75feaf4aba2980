#include "run.h"

#include <QJsonArray>
#include <QStringList>
#include <algorithm>
#include <exception>

namespace tl {

QString RunOutcome::statusName() const
{
    switch (status) {
    case Status::Completed:
        return QStringLiteral("completed");
    case Status::Stopped:
        return QStringLiteral("stopped");
    case Status::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

Run::Run(std::unique_ptr<RunSource> source, const ParamSet& params)
    : m_source(std::move(source))
    , m_ctx(params)
{
}

Run::~Run() = default;

RunOutcome Run::execute()
{
    RunOutcome outcome;
    outcome.scenario = m_source->info();
    outcome.params = m_ctx.params();
    auto trace = std::make_shared<Trace>();
    trace->scenario = outcome.scenario.name;
    trace->params = m_ctx.params().asText();

    Collector collector(m_ctx, *trace, m_sink, m_content);
    const std::int64_t started = clock::monotonicNs();
    try {
        collector.start();
        m_source->run(m_ctx);
        outcome.status = m_ctx.stopRequested() ? RunOutcome::Status::Stopped : RunOutcome::Status::Completed;
    } catch (const std::exception& e) {
        outcome.status = RunOutcome::Status::Failed;
        outcome.error = failureText(e);
    }
    if (const QString failure = m_ctx.failure(); !failure.isEmpty() && outcome.status != RunOutcome::Status::Failed) {
        outcome.status = RunOutcome::Status::Failed;
        outcome.error = failure;
    }
    const std::int64_t ended = clock::monotonicNs();
    outcome.durationNs = ended - started;
    if (m_workersDone)
        m_workersDone();
    collector.finish(ended);
    trace->schedulerSource = m_ctx.schedulerSource();
    trace->schedulerNote = m_ctx.schedulerNote();

    outcome.trace = std::move(trace);
    outcome.results = m_ctx.results();
    outcome.workerFigures = m_ctx.workerFigures();
    outcome.processes = m_ctx.processes();
    return outcome;
}

RecordingOverhead recordingOverhead(std::uint64_t laneEvents, std::int64_t workerNs)
{
    return { laneEvents, Recorder::costPerEventNs(), workerNs };
}

double runQueueShare(const RunOutcome& outcome)
{
    std::int64_t queued = 0;
    std::int64_t lived = 0;
    for (const QJsonObject& figures : outcome.workerFigures)
        if (figures.contains(u"runqueue_ns") && figures.contains(u"elapsed_ns")) {
            queued += figures[u"runqueue_ns"].toInteger();
            lived += figures[u"elapsed_ns"].toInteger();
        }
    return lived > 0 ? double(queued) / double(lived) : -1.0;
}

QString cpuAccount(const RunOutcome& outcome)
{
    // Below this, the scheduler's ordinary hand-overs; above, whole stretches of the run had no CPU.
    constexpr double kNoticeable = 0.2;
    const double share = runQueueShare(outcome);
    if (share < kNoticeable)
        return {};
    return QStringLiteral("The worker threads were ready to run but had no CPU for %1 of their time (the kernel's "
                          "run-queue time): more busy workers than cores, or other programs, had the CPUs, so the "
                          "times and speed-ups of this run are not those of an idle machine. (Workers run at nice "
                          "+%2, so that the window stays responsive: beside a busy program at normal priority, a "
                          "worker gets about a tenth of a CPU.)")
        .arg(percent(share))
        .arg(kWorkerNice);
}

QString gapAccount(const Trace& trace)
{
    if (trace.droppedEvents == 0)
        return {};
    struct Missing {
        std::int64_t lost = 0;
        int gaps = 0;
    };
    // Per worker: the recorder's events lost (a gap over the lane), the kernel's switch records lost (the
    // lane's states stand, its CPU is unknown there).
    std::vector<std::pair<Missing, Missing>> perWorker(trace.workers.size());
    for (const LaneLoss& loss : trace.losses)
        if (loss.worker < perWorker.size()) {
            Missing& m = loss.switchRecords ? perWorker[loss.worker].second : perWorker[loss.worker].first;
            m.lost += std::int64_t(loss.lost);
            ++m.gaps;
        }
    auto list = [&](bool switchRecords) {
        QStringList parts;
        for (std::size_t w = 0; w < perWorker.size(); ++w) {
            const Missing& m = switchRecords ? perWorker[w].second : perWorker[w].first;
            if (m.gaps > 0)
                parts << QStringLiteral("%1 lost %2 %3 in %4 gap%5")
                             .arg(trace.workers[w].name)
                             .arg(m.lost)
                             .arg(switchRecords ? QStringLiteral("switch records") : QStringLiteral("events"))
                             .arg(m.gaps)
                             .arg(m.gaps == 1 ? "" : "s");
        }
        return parts.join(QStringLiteral("; "));
    };
    QStringList text;
    if (const QString events = list(false); !events.isEmpty()) {
        const QString where = trace.recordingBudgetSpentNs > 0
            ? QStringLiteral("where events could not be kept (the run's recording memory, %2 MiB, was spent "
                             "%1 ms into the run)")
                  .arg(double(trace.recordingBudgetSpentNs - trace.startNs) / 1e6, 0, 'f', 1)
                  .arg(trace.recordingBudgetBytes >> 20)
            : QStringLiteral("where a recorder's buffer was full (a child process's, or the collector fell too far "
                             "behind)");
        text << QStringLiteral("Data is missing %1: %2. The timeline hatches these gaps (no span is drawn across "
                               "them); the counted figures above are exact all the same.%3")
                    .arg(where, events,
                        trace.recordingBudgetSpentNs > 0
                            ? QStringLiteral(" Give runs more with --recording-memory or Run ▸ Recording Memory.")
                            : QString());
    }
    if (const QString switches = list(true); !switches.isEmpty())
        text << QStringLiteral("The kernel's record of when workers had a CPU is incomplete where its buffer was "
                               "full: %1. There the lanes keep their states but claim no CPU (a hatched strip "
                               "along the bottom).")
                    .arg(switches);
    return text.join(u' ');
}

QJsonObject summaryJson(const RunOutcome& outcome)
{
    const Trace& trace = *outcome.trace;
    QJsonObject params;
    const auto& specs = outcome.params.specs();
    for (int i = 0; i < specs.size(); ++i) {
        const std::int64_t value = outcome.params.value(i);
        switch (specs[i].type) {
        case ParamType::Integer:
            params.insert(specs[i].name, qint64(value));
            break;
        case ParamType::Boolean:
            params.insert(specs[i].name, value != 0);
            break;
        case ParamType::Choice:
            params.insert(specs[i].name, specs[i].format(value));
            break;
        }
    }
    QJsonArray workers;
    for (std::size_t w = 0; w < trace.workers.size(); ++w) {
        QJsonObject o = w < outcome.workerFigures.size() ? outcome.workerFigures[w] : QJsonObject();
        o.insert(QStringLiteral("name"), trace.workers[w].name);
        o.insert(QStringLiteral("tid"), qint64(trace.workers[w].tid));
        workers.append(o);
    }
    QJsonObject json;
    json.insert(QStringLiteral("scenario"), outcome.scenario.name);
    json.insert(QStringLiteral("status"), outcome.statusName());
    if (outcome.status == RunOutcome::Status::Failed)
        json.insert(QStringLiteral("error"), outcome.error);
    json.insert(QStringLiteral("params"), params);
    json.insert(QStringLiteral("duration_ms"), double(outcome.durationNs) / 1e6);
    json.insert(QStringLiteral("events"), qint64(trace.eventCount()));
    json.insert(QStringLiteral("dropped_events"), qint64(trace.droppedEvents));
    json.insert(QStringLiteral("recording_memory_bytes"), qint64(trace.recordingBudgetBytes));
    if (trace.recordingBudgetSpentNs > 0)
        json.insert(
            QStringLiteral("recording_memory_spent_ms"), double(trace.recordingBudgetSpentNs - trace.startNs) / 1e6);
    // Worker by worker, each in time order, as the lanes hold them.
    std::vector<LaneLoss> losses = trace.losses;
    std::stable_sort(losses.begin(), losses.end(), [](const auto& a, const auto& b) { return a.worker < b.worker; });
    QJsonArray gaps;
    for (const LaneLoss& loss : losses)
        if (loss.worker < trace.workers.size())
            gaps.append(QJsonObject { { QStringLiteral("worker"), trace.workers[loss.worker].name },
                { QStringLiteral("at_ns"), qint64(loss.time - trace.startNs) },
                { QStringLiteral("lost"), qint64(loss.lost) },
                { QStringLiteral("what"),
                    loss.switchRecords ? QStringLiteral("switch records") : QStringLiteral("events") } });
    json.insert(QStringLiteral("gaps"), gaps);
    json.insert(QStringLiteral("scheduler_source"), trace.schedulerSource);
    if (!trace.schedulerNote.isEmpty())
        json.insert(QStringLiteral("scheduler_note"), trace.schedulerNote);
    const RecordingOverhead overhead = recordingOverhead(trace.laneEventCount(), trace.workerTimeNs());
    json.insert(QStringLiteral("recording_overhead"),
        QJsonObject { { QStringLiteral("share"), overhead.share() },
            { QStringLiteral("cost_per_event_ns"), overhead.costPerEventNs },
            { QStringLiteral("events"), qint64(overhead.events) },
            { QStringLiteral("worker_time_ns"), qint64(overhead.workerNs) },
            { QStringLiteral("tick_source"), trace.tickSource } });
    json.insert(QStringLiteral("workers"), workers);
    if (const double share = runQueueShare(outcome); share >= 0)
        json.insert(QStringLiteral("runqueue_share"), share);
    json.insert(QStringLiteral("worker_nice"), kWorkerNice);
    if (!outcome.processes.empty()) {
        QJsonArray processes;
        for (const auto& p : outcome.processes)
            processes.append(p.toJson());
        json.insert(QStringLiteral("processes"), processes);
    }
    json.insert(QStringLiteral("results"), outcome.results);
    return json;
}

} // namespace tl
