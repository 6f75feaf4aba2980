#include "exporters.h"

#include "outputfile.h"
#include "perfetto.h"
#include "spans.h"

#include <QIODevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <charconv>
#include <string>

namespace tl {

ExportWriter::ExportWriter(QIODevice& out)
    : m_out(out)
{
    m_buf.reserve(kFlushAt + 4096);
}

ExportWriter& ExportWriter::operator<<(std::int64_t v)
{
    char tmp[24];
    const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    return *this << std::string_view(tmp, std::size_t(r.ptr - tmp));
}

ExportWriter& ExportWriter::micros(std::int64_t ns)
{
    if (ns < 0) {
        *this << "-";
        ns = -ns;
    }
    *this << ns / 1000;
    const char frac[4] = { '.', char('0' + ns % 1000 / 100), char('0' + ns % 100 / 10), char('0' + ns % 10) };
    return *this << std::string_view(frac, 4);
}

bool ExportWriter::flush()
{
    if (!m_buf.empty() && m_out.write(m_buf.data(), qint64(m_buf.size())) != qint64(m_buf.size()))
        m_ok = false;
    m_buf.clear();
    return m_ok;
}

ExportIdentity exportIdentity(const Trace& trace)
{
    ExportIdentity id;
    const std::int64_t mainPid = trace.workers.empty() ? 1 : trace.workers.front().pid;
    for (std::size_t lane = 0; lane < std::max(trace.workers.size(), trace.lanes.size()); ++lane) {
        const WorkerInfo* info = lane < trace.workers.size() ? &trace.workers[lane] : nullptr;
        const std::int64_t pid = info && info->pid > 0 ? info->pid : mainPid;
        id.threads.push_back({ pid, std::int64_t(lane + 1), info ? info->name : QStringLiteral("lane %1").arg(lane) });
        const bool known = std::any_of(
            id.processes.begin(), id.processes.end(), [pid](const ExportProcess& p) { return p.pid == pid; });
        if (!known && info)
            id.processes.push_back({ pid, QStringLiteral("%1 (pid %2)").arg(info->group).arg(pid) });
    }
    if (id.processes.empty())
        id.processes.push_back({ mainPid, QStringLiteral("ThreadLab: %1").arg(trace.scenario) });
    return id;
}

QString exportLockName(const Trace& trace, std::uint16_t lock)
{
    return lock != 0 && lock < trace.lockNames.size() ? trace.lockNames[lock] : QString();
}

QString insideName(LaneState inside)
{
    switch (inside) {
    case LaneState::Running:
        return {};
    case LaneState::NoData:
        return QStringLiteral("CPU unknown (no switch records from the kernel here)");
    case LaneState::LockHeldContended:
        return QStringLiteral("holding lock, others wait");
    default:
        return laneStateName(inside);
    }
}

std::uint64_t lostEventsIn(const LaneSpans& lane, const Span& noData, std::size_t& cursor)
{
    while (cursor < lane.gaps.size() && (lane.gaps[cursor].end < noData.end || lane.gaps[cursor].cpuOnly))
        ++cursor;
    return cursor < lane.gaps.size() ? lane.gaps[cursor].lost : 0;
}

namespace {

// Viewers add ts + dur in doubles: the written duration is shortened until that sum does not pass the end
// (the next slice's start), or DevTools treats the two as overlapping and drops one. Both since run start.
std::int64_t viewerSafeDuration(std::int64_t start, std::int64_t end)
{
    const double endUs = double(end) / 1000.0;
    std::int64_t dur = end - start;
    while (dur > 0 && double(start) / 1000.0 + double(dur) / 1000.0 > endUs)
        --dur;
    return dur;
}

std::string jsonString(const QString& s)
{
    // QJsonDocument does the escaping; strip the array brackets around the single value.
    const QByteArray doc = QJsonDocument(QJsonArray { s }).toJson(QJsonDocument::Compact);
    return doc.mid(1, doc.size() - 2).toStdString();
}

} // namespace

bool writeChromeTrace(const Trace& trace, QIODevice& out)
{
    ExportWriter w(out);
    const auto lanes = buildSpans(trace);
    const ExportIdentity id = exportIdentity(trace);
    w << "{\"otherData\":{\"scenario\":" << jsonString(trace.scenario)
      << ",\"params\":" << jsonString(trace.paramsText()) << ",\"dropped_events\":" << std::int64_t(trace.droppedEvents)
      << ",\"tick_source\":" << jsonString(trace.tickSource) << "},\n\"traceEvents\":[\n";
    for (std::size_t i = 0; i < id.processes.size(); ++i)
        w << (i == 0 ? "" : ",\n") << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" << id.processes[i].pid
          << ",\"tid\":0,\"args\":{\"name\":" << jsonString(id.processes[i].name) << "}}";
    // A track's name and its place among its process's tracks.
    auto threadTrack = [&](std::int64_t pid, std::int64_t tid, const QString& name, std::int64_t sortIndex) {
        w << ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" << pid << ",\"tid\":" << tid
          << ",\"args\":{\"name\":" << jsonString(name) << "}}";
        w << ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":" << pid << ",\"tid\":" << tid
          << ",\"args\":{\"sort_index\":" << sortIndex << "}}";
    };
    for (std::size_t i = 0; i < trace.workers.size(); ++i)
        threadTrack(id.threads[i].pid, id.threads[i].tid, id.threads[i].name, id.threads[i].tid);
    // The run's phases: slices on a track of their own in the run's process, above the workers.
    if (!trace.phases.empty()) {
        std::int64_t phaseTid = 1;
        for (const ExportThread& t : id.threads)
            phaseTid = std::max(phaseTid, t.tid + 1);
        threadTrack(id.mainPid(), phaseTid, QStringLiteral("phases"), -1);
        for (const Phase& phase : trace.phases) {
            const std::int64_t start = phase.start - trace.startNs;
            const std::int64_t end = (phase.end == INT64_MAX ? trace.endNs : phase.end) - trace.startNs;
            w << ",\n{\"name\":" << jsonString(phase.label) << ",\"cat\":\"phase\",\"ph\":\"X\",\"ts\":";
            w.micros(start);
            w << ",\"dur\":";
            w.micros(viewerSafeDuration(start, std::max(start, end)));
            w << ",\"pid\":" << id.mainPid() << ",\"tid\":" << phaseTid << ",\"args\":{}}";
        }
    }
    std::vector<std::string> stateNames;
    for (int s = 0; s < kLaneStateCount; ++s)
        stateNames.push_back(jsonString(laneStateName(LaneState(s))));
    std::vector<std::string> lockNames;
    for (const auto& name : trace.lockNames)
        lockNames.push_back(jsonString(name));

    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        const ExportThread& thread = id.threads[lane];
        const auto& spans = lanes[lane].spans;
        std::size_t gap = 0;
        for (std::size_t i = 0; i < spans.size(); ++i) {
            const Span& s = spans[i];
            const std::int64_t start = s.start - trace.startNs;
            const std::int64_t dur = viewerSafeDuration(start, s.end - trace.startNs);
            const bool noData = s.state == LaneState::NoData;
            w << ",\n{\"name\":" << (noData ? std::string("\"events lost\"") : stateNames[std::size_t(s.state)])
              << ",\"cat\":" << (noData ? "\"gap\"" : "\"state\"") << ",\"ph\":\"X\",\"ts\":";
            w.micros(start);
            w << ",\"dur\":";
            w.micros(dur);
            w << ",\"pid\":" << thread.pid << ",\"tid\":" << thread.tid << ",\"args\":{";
            if (noData) {
                w << "\"lost_events\":" << std::int64_t(lostEventsIn(lanes[lane], s, gap));
            } else {
                w << "\"cpu\":" << std::int64_t(s.cpu);
                if (s.lock != 0 && s.lock < lockNames.size())
                    w << ",\"lock\":" << lockNames[s.lock];
                if (s.inside != LaneState::Running) { // a wait inside a hold: the strip along the lane's bottom
                    w << ",\"inside\":" << jsonString(insideName(s.inside));
                    if (s.insideLock != 0 && s.insideLock < lockNames.size())
                        w << ",\"inside_lock\":" << lockNames[s.insideLock];
                }
            }
            w << "}}";
        }
    }
    // Marks and process ends as instant events on their thread: phase "I", the only one DevTools' trace engine
    // reads as an instant (it silently drops "i"; Perfetto and chrome://tracing read both).
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        for (const LaneMark& m : lanes[lane].marks) {
            const bool exited = m.kind == EventKind::Exited;
            w << ",\n{\"name\":"
              << (exited ? jsonString(QString::fromStdString(exitText(m.value))) : std::string("\"mark\""))
              << ",\"cat\":" << (exited ? "\"process\"" : "\"mark\"") << ",\"ph\":\"I\",\"s\":\"t\",\"ts\":";
            w.micros(m.time - trace.startNs);
            w << ",\"pid\":" << id.threads[lane].pid << ",\"tid\":" << id.threads[lane].tid << ",\"args\":{\""
              << (exited ? "exit" : "value") << "\":" << std::int64_t(m.value) << "}}";
        }
    }
    for (const CounterSample& c : trace.counterSamples) {
        const QString name = trace.counterNames.size() > c.counter ? trace.counterNames[c.counter] : QString();
        w << ",\n{\"name\":" << jsonString(name) << ",\"ph\":\"C\",\"ts\":";
        w.micros(c.time - trace.startNs);
        w << ",\"pid\":" << id.mainPid() << ",\"args\":{\"value\":" << c.value << "}}";
    }
    w << "\n]}\n";
    return w.flush();
}

bool writeTraceFile(const Trace& trace, TraceFormat format, const QString& path, QString* error)
{
    return writeOutput(
        path,
        [&](QIODevice& out) {
            switch (format) {
            case TraceFormat::ChromeJson:
                return writeChromeTrace(trace, out);
            case TraceFormat::Csv:
                return writeCsv(trace, out);
            case TraceFormat::SpansCsv:
                return writeSpansCsv(trace, out);
            case TraceFormat::Perfetto:
                return writePerfettoTrace(trace, out);
            }
            return false;
        },
        error);
}

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
        for (const ExportThread& t : id.threads) {
            const auto process = std::find_if(
                id.processes.begin(), id.processes.end(), [&](const ExportProcess& p) { return p.pid == t.pid; });
            lanes.push_back(csvField(process != id.processes.end() ? process->name : QString()) + ","
                + std::to_string(t.pid) + "," + std::to_string(t.tid - 1) + "," + csvField(t.name));
        }
        mainProcess = csvField(id.processes.front().name) + "," + std::to_string(id.mainPid());
        for (std::size_t l = 0; l < trace.lockNames.size(); ++l)
            locks.push_back(csvField(exportLockName(trace, std::uint16_t(l))));
    }
    std::string_view lock(std::uint16_t id) const { return id < locks.size() ? locks[id] : std::string_view(); }
    std::vector<std::string> lanes; // process,pid,worker,worker_name
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
    // named in `counter`). One header row, so spreadsheets and pandas read it as it is.
    w << "time_since_start_ns,row,process,pid,worker,worker_name,kind,lock,cpu,counter,value,value_meaning\n";
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
        w << (c.time - trace.startNs) << ",counter," << names.mainProcess << ",,,counter,,,"
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
    w << "process,pid,worker,worker_name,state,start_since_start_ns,end_since_start_ns,lock,cpu,lost_events,inside,"
         "inside_lock\n";
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
            if (noData)
                w << std::int64_t(lostEventsIn(lanes[lane], s, gap));
            w << ",";
            if (s.inside != LaneState::Running)
                w << csvField(insideName(s.inside));
            w << "," << names.lock(s.insideLock) << "\n";
        }
    }
    return w.flush();
}

} // namespace tl
