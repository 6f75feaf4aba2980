#include "exporters.h"

#include "outputfile.h"
#include "spans.h"

#include <QIODevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <charconv>
#include <string>

namespace tl {

namespace {

// Builds output in a string and hands it to the device in large pieces; exports can hold millions of rows.
class Writer {
public:
    explicit Writer(QIODevice& out)
        : m_out(out)
    {
        m_buf.reserve(kFlushAt + 4096);
    }
    ~Writer() { flush(); }
    Writer& operator<<(std::string_view s)
    {
        m_buf.append(s);
        maybeFlush();
        return *this;
    }
    Writer& operator<<(std::int64_t v)
    {
        char tmp[24];
        const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
        return *this << std::string_view(tmp, std::size_t(r.ptr - tmp));
    }
    // Microseconds with nanosecond precision, as Chrome traces expect.
    Writer& micros(std::int64_t ns)
    {
        if (ns < 0) {
            *this << "-";
            ns = -ns;
        }
        *this << ns / 1000;
        char frac[5] = { '.', char('0' + ns % 1000 / 100), char('0' + ns % 100 / 10), char('0' + ns % 10), 0 };
        return *this << std::string_view(frac, 4);
    }
    bool ok() const { return m_ok; }
    bool flush()
    {
        if (!m_buf.empty() && m_out.write(m_buf.data(), qint64(m_buf.size())) != qint64(m_buf.size()))
            m_ok = false;
        m_buf.clear();
        return m_ok;
    }

private:
    void maybeFlush()
    {
        if (m_buf.size() >= kFlushAt)
            flush();
    }
    static constexpr std::size_t kFlushAt = 1 << 20;
    QIODevice& m_out;
    std::string m_buf;
    bool m_ok = true;
};

std::string jsonString(const QString& s)
{
    // QJsonDocument does the escaping; strip the array brackets around the single value.
    const QByteArray doc = QJsonDocument(QJsonArray { s }).toJson(QJsonDocument::Compact);
    return doc.mid(1, doc.size() - 2).toStdString();
}

} // namespace

bool writeChromeTrace(const Trace& trace, QIODevice& out)
{
    Writer w(out);
    const auto lanes = buildSpans(trace);
    const std::int64_t mainPid = trace.workers.empty() ? 1 : trace.workers.front().pid;
    auto pidOf = [&](std::size_t lane) {
        return lane < trace.workers.size() && trace.workers[lane].pid > 0 ? trace.workers[lane].pid : mainPid;
    };
    w << "{\"otherData\":{\"scenario\":" << jsonString(trace.scenario)
      << ",\"params\":" << jsonString(trace.paramsText()) << ",\"dropped_events\":" << std::int64_t(trace.droppedEvents)
      << ",\"tick_source\":" << jsonString(trace.tickSource) << "},\n\"traceEvents\":[\n";
    // One process per pid, named as the timeline groups lanes.
    std::vector<std::int64_t> pids;
    for (std::size_t i = 0; i < trace.workers.size(); ++i) {
        const std::int64_t pid = pidOf(i);
        if (std::find(pids.begin(), pids.end(), pid) != pids.end())
            continue;
        w << (pids.empty() ? "" : ",\n") << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" << pid
          << ",\"tid\":0,\"args\":{\"name\":"
          << jsonString(QStringLiteral("%1 (pid %2)").arg(trace.workers[i].group).arg(pid)) << "}}";
        pids.push_back(pid);
    }
    if (pids.empty())
        w << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" << mainPid
          << ",\"tid\":0,\"args\":{\"name\":" << jsonString(QStringLiteral("ThreadLab: %1").arg(trace.scenario))
          << "}}";
    for (std::size_t i = 0; i < trace.workers.size(); ++i) {
        const auto tid = std::int64_t(i + 1); // stable and unique even when a pool reuses OS threads
        w << ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" << pidOf(i) << ",\"tid\":" << tid
          << ",\"args\":{\"name\":" << jsonString(trace.workers[i].name) << "}}";
        w << ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":" << pidOf(i) << ",\"tid\":" << tid
          << ",\"args\":{\"sort_index\":" << tid << "}}";
    }
    std::vector<std::string> stateNames;
    for (int s = 0; s < kLaneStateCount; ++s)
        stateNames.push_back(jsonString(laneStateName(LaneState(s))));
    std::vector<std::string> lockNames;
    for (const auto& name : trace.lockNames)
        lockNames.push_back(jsonString(name));

    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        const std::int64_t pid = pidOf(lane);
        const auto tid = std::int64_t(lane + 1);
        const auto& spans = lanes[lane].spans;
        std::size_t gap = 0;
        for (std::size_t i = 0; i < spans.size(); ++i) {
            const Span& s = spans[i];
            const std::int64_t start = s.start - trace.startNs;
            // Viewers add ts + dur in doubles: shorten the written duration until that sum does not pass the
            // end (the next span's start), or DevTools treats the two as overlapping and drops one.
            const double end = double(s.end - trace.startNs) / 1000.0;
            std::int64_t dur = s.end - s.start;
            while (dur > 0 && double(start) / 1000.0 + double(dur) / 1000.0 > end)
                --dur;
            const bool noData = s.state == LaneState::NoData;
            w << ",\n{\"name\":" << (noData ? std::string("\"events lost\"") : stateNames[std::size_t(s.state)])
              << ",\"cat\":" << (noData ? "\"gap\"" : "\"state\"") << ",\"ph\":\"X\",\"ts\":";
            w.micros(start);
            w << ",\"dur\":";
            w.micros(dur);
            w << ",\"pid\":" << pid << ",\"tid\":" << tid << ",\"args\":{";
            if (noData) {
                while (gap < lanes[lane].gaps.size() && lanes[lane].gaps[gap].end < s.end)
                    ++gap;
                w << "\"lost_events\":" << std::int64_t(gap < lanes[lane].gaps.size() ? lanes[lane].gaps[gap].lost : 0);
            } else {
                w << "\"cpu\":" << std::int64_t(s.cpu);
                if (s.lock != 0 && s.lock < lockNames.size())
                    w << ",\"lock\":" << lockNames[s.lock];
            }
            w << "}}";
        }
    }
    // Marks and process ends as instant events on their thread.
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        for (const LaneMark& m : lanes[lane].marks) {
            const bool exited = m.kind == EventKind::Exited;
            w << ",\n{\"name\":"
              << (exited ? jsonString(QString::fromStdString(exitText(m.value))) : std::string("\"mark\""))
              << ",\"cat\":" << (exited ? "\"process\"" : "\"mark\"") << ",\"ph\":\"i\",\"s\":\"t\",\"ts\":";
            w.micros(m.time - trace.startNs);
            w << ",\"pid\":" << pidOf(lane) << ",\"tid\":" << std::int64_t(lane + 1) << ",\"args\":{\""
              << (exited ? "exit" : "value") << "\":" << std::int64_t(m.value) << "}}";
        }
    }
    for (const CounterSample& c : trace.counterSamples) {
        const QString name = trace.counterNames.size() > c.counter ? trace.counterNames[c.counter] : QString();
        w << ",\n{\"name\":" << jsonString(name) << ",\"ph\":\"C\",\"ts\":";
        w.micros(c.time - trace.startNs);
        w << ",\"pid\":" << mainPid << ",\"args\":{\"value\":" << c.value << "}}";
    }
    w << "\n]}\n";
    return w.flush();
}

bool writeTraceFile(const Trace& trace, TraceFormat format, const QString& path, QString* error)
{
    return writeOutput(
        path,
        [&](QIODevice& out) {
            return format == TraceFormat::Csv ? writeCsv(trace, out) : writeChromeTrace(trace, out);
        },
        error);
}

bool writeCsv(const Trace& trace, QIODevice& out)
{
    Writer w(out);
    // `row`: event (a worker's event), gap (events lost just before it; value = how many), or counter (value =
    // the counter's value; worker = the counter's name). Times in ns since the run started.
    w << "time_ns,row,worker,worker_name,kind,lock,cpu,value\n";
    // RFC 4180: a field in double quotes, a quote inside doubled.
    auto quoted = [](const QString& s) {
        std::string out = "\"";
        for (const char c : s.toStdString()) {
            if (c == '"')
                out += '"';
            out += c;
        }
        return out + '"';
    };
    std::vector<std::string> names;
    for (const auto& info : trace.workers)
        names.push_back(quoted(info.name));
    for (std::size_t lane = 0; lane < trace.lanes.size(); ++lane) {
        const std::string_view name = lane < names.size() ? std::string_view(names[lane]) : std::string_view();
        for (const Event& e : trace.lanes[lane]) {
            w << (e.time - trace.startNs) << "," << (e.kind == EventKind::Lost ? "gap" : "event") << ","
              << std::int64_t(lane) << "," << name << "," << eventKindName(e.kind) << "," << std::int64_t(e.lock) << ","
              << std::int64_t(eventCpu(e)) << "," << std::int64_t(e.value) << "\n";
        }
    }
    for (const CounterSample& c : trace.counterSamples) {
        const std::string name = trace.counterNames.size() > c.counter ? quoted(trace.counterNames[c.counter]) : "";
        w << (c.time - trace.startNs) << ",counter," << std::int64_t(c.counter) << "," << name << ",counter,0,-1,"
          << c.value << "\n";
    }
    return w.flush();
}

} // namespace tl
