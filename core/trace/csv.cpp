#include "csv.h"

#include "exportnames.h"
#include "exportwriter.h"
#include "spans.h"

#include <QRegularExpression>
#include <algorithm>
#include <string>

namespace tl {

namespace {

// RFC 4180: a field in double quotes, a quote inside doubled.
std::string csvField(const QString& s)
{
    std::string out = "\"";
    for (const char c : s.toStdString()) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + '"';
}

// Quoted once per run, not once per row: names of processes (with the pid column after), workers and locks.
struct CsvNames {
    explicit CsvNames(const Trace& trace)
    {
        const ExportIdentity id = exportIdentity(trace);
        for (std::size_t lane = 0; lane < id.threads.size(); ++lane) {
            const ExportThread& t = id.threads[lane];
            const auto process = std::find_if(
                id.processes.begin(), id.processes.end(), [&](const ExportProcess& p) { return p.pid == t.pid; });
            lanes.push_back(csvField(process != id.processes.end() ? process->name : QString()) + ","
                + std::to_string(t.pid) + "," + std::to_string(lane) + "," + std::to_string(t.tid) + ","
                + csvField(t.name));
        }
        mainProcess = csvField(id.processes.front().name) + "," + std::to_string(id.mainPid());
        for (std::size_t l = 0; l < trace.lockNames.size(); ++l)
            locks.push_back(csvField(exportLockName(trace, std::uint16_t(l))));
    }
    std::string_view lock(std::uint16_t id) const { return id < locks.size() ? locks[id] : std::string_view(); }
    std::vector<std::string> lanes; // process,pid,worker,tid,worker_name
    std::string mainProcess; // process,pid
    std::vector<std::string> locks;
};

std::string_view valueMeaning(const Event& e)
{
    switch (e.kind) {
    case EventKind::Lost:
        return e.lock == kLostSwitchRecords
            ? "\"the kernel's context-switch records lost just before this time (the worker's events are all here)\""
            : "\"events lost just before this time\"";
    case EventKind::LockAcquired:
        return "\"1: the lock excludes others; 0: the no-lock mode\"";
    case EventKind::Mark:
        return "\"the scenario's mark (a task's number or a payload size)\"";
    case EventKind::Exited:
        return "\"exit code; negative: the signal that ended it\"";
    case EventKind::SwitchOut:
        return "\"1: preempted, still runnable (the kernel's record); 0: blocked in the kernel; 2: the kernel's "
               "records may stop here (its ring was full); 3: the thread exited\"";
    default:
        return "\"unused\"";
    }
}

} // namespace

bool writeCsv(const Trace& trace, QIODevice& out)
{
    ExportWriter w(out);
    // `row`: event (a worker's event), gap (events lost just before it), or counter (a sample of the counter
    // named in `counter`). One header row, so spreadsheets and pandas read it as it is; number columns hold a
    // number on every row (-1: none, as a counter's worker or an unknown CPU), so pandas keeps them int64.
    // `worker` is the lane (0 first), `tid` the OS thread (as in the JSON, the Perfetto file and `--json`).
    w << "time_since_start_ns,row,process,pid,worker,tid,worker_name,kind,lock,cpu,counter,value,value_meaning\n";
    const CsvNames names(trace);
    for (std::size_t lane = 0; lane < trace.lanes.size(); ++lane) {
        for (const Event& e : trace.lanes[lane]) {
            w << (e.time - trace.startNs) << "," << (e.kind == EventKind::Lost ? "gap" : "event") << ","
              << names.lanes[lane] << "," << eventKindName(e.kind) << ","
              << (e.kind == EventKind::Lost ? std::string_view() : names.lock(e.lock)) << ","
              << std::int64_t(eventCpu(e)) << ",," << std::int64_t(e.value) << "," << valueMeaning(e) << "\n";
        }
    }
    std::vector<std::string> counters;
    for (const QString& name : trace.counterNames)
        counters.push_back(csvField(name));
    for (const CounterSample& c : trace.counterSamples) {
        w << (c.time - trace.startNs) << ",counter," << names.mainProcess << ",-1,-1,,counter,,-1,"
          << (c.counter < counters.size() ? std::string_view(counters[c.counter]) : std::string_view()) << ","
          << c.value << ",\"the counter's value\"\n";
    }
    return w.flush();
}

bool writeSpansCsv(const Trace& trace, QIODevice& out)
{
    ExportWriter w(out);
    // `inside`: what the span is still inside while in its state (a hold while it waits, "CPU unknown" where
    // the kernel's switch records were lost), with `inside_lock`.
    w << "process,pid,worker,tid,worker_name,state,start_since_start_ns,end_since_start_ns,lock,cpu,lost_events,"
         "inside,inside_lock\n";
    const CsvNames names(trace);
    std::vector<std::string> states;
    for (int s = 0; s < kLaneStateCount; ++s)
        states.push_back(csvField(laneStateName(LaneState(s))));
    const auto lanes = buildSpans(trace);
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        std::size_t gap = 0;
        for (const Span& s : lanes[lane].spans) {
            const bool noData = s.state == LaneState::NoData;
            w << names.lanes[lane] << "," << states[std::size_t(s.state)] << "," << (s.start - trace.startNs) << ","
              << (s.end - trace.startNs) << "," << (noData ? std::string_view() : names.lock(s.lock)) << ","
              << std::int64_t(s.cpu) << ",";
            w << (noData ? std::int64_t(lostEventsIn(lanes[lane], s, gap)) : 0) << ",";
            if (s.inside != LaneState::Running)
                w << csvField(insideName(s.inside));
            w << "," << names.lock(s.insideLock) << "\n";
        }
    }
    return w.flush();
}

bool writeCsvTable(const QStringList& header, const std::vector<QStringList>& rows, QIODevice& out)
{
    static const QRegularExpression number(QStringLiteral("^-?[0-9]+(\\.[0-9]+)?$"));
    ExportWriter w(out);
    auto row = [&w](const QStringList& cells) {
        for (qsizetype i = 0; i < cells.size(); ++i) {
            if (i > 0)
                w << ",";
            w << (number.match(cells[i]).hasMatch() ? cells[i].toStdString() : csvField(cells[i]));
        }
        w << "\n";
    };
    row(header);
    for (const QStringList& cells : rows)
        row(cells);
    return w.flush();
}

} // namespace tl
