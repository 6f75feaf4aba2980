#include "exporters.h"

#include "spans.h"

#include <QIODevice>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
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
    const auto spans = buildSpans(trace);
    const std::int64_t pid = trace.workers.empty() ? 1 : trace.workers.front().pid;
    w << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"scenario\":" << jsonString(trace.scenario)
      << ",\"params\":" << jsonString(trace.paramsText()) << ",\"dropped_events\":" << std::int64_t(trace.droppedEvents)
      << "},\n\"traceEvents\":[\n";
    w << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" << pid
      << ",\"tid\":0,\"args\":{\"name\":" << jsonString(QStringLiteral("ThreadLab: %1").arg(trace.scenario)) << "}}";
    for (std::size_t i = 0; i < trace.workers.size(); ++i) {
        const auto tid = std::int64_t(i + 1); // stable and unique even when a pool reuses OS threads
        w << ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" << pid << ",\"tid\":" << tid
          << ",\"args\":{\"name\":" << jsonString(trace.workers[i].name) << "}}";
        w << ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":" << pid << ",\"tid\":" << tid
          << ",\"args\":{\"sort_index\":" << tid << "}}";
    }
    std::vector<std::string> stateNames;
    for (int s = 0; s < kLaneStateCount; ++s)
        stateNames.push_back(jsonString(laneStateName(LaneState(s))));
    std::vector<std::string> lockNames;
    for (const auto& name : trace.lockNames)
        lockNames.push_back(jsonString(name));

    for (std::size_t lane = 0; lane < spans.size(); ++lane) {
        for (const Span& s : spans[lane]) {
            w << ",\n{\"name\":" << stateNames[std::size_t(s.state)] << ",\"cat\":\"state\",\"ph\":\"X\",\"ts\":";
            w.micros(s.start - trace.startNs);
            w << ",\"dur\":";
            w.micros(s.end - s.start);
            w << ",\"pid\":" << pid << ",\"tid\":" << std::int64_t(lane + 1)
              << ",\"args\":{\"cpu\":" << std::int64_t(s.cpu);
            if (s.lock != 0 && s.lock < lockNames.size())
                w << ",\"lock\":" << lockNames[s.lock];
            w << "}}";
        }
    }
    for (const Event& e : trace.counterSamples) {
        const QString name = trace.counterNames.size() > e.worker ? trace.counterNames[e.worker] : QString();
        w << ",\n{\"name\":" << jsonString(name) << ",\"ph\":\"C\",\"ts\":";
        w.micros(e.time - trace.startNs);
        w << ",\"pid\":" << pid << ",\"args\":{\"value\":" << e.value << "}}";
    }
    w << "\n]}\n";
    return w.flush();
}

bool writeTraceFile(const Trace& trace, TraceFormat format, const QString& path, QString* error)
{
    QSaveFile file(path);
    const bool ok = file.open(QIODevice::WriteOnly)
        && (format == TraceFormat::Csv ? writeCsv(trace, file) : writeChromeTrace(trace, file)) && file.commit();
    if (!ok && error)
        *error = QStringLiteral("could not write %1: %2").arg(path, file.errorString());
    return ok;
}

bool writeCsv(const Trace& trace, QIODevice& out)
{
    Writer w(out);
    w << "time_ns,worker,worker_name,kind,lock,cpu,value\n";
    std::vector<std::string> names;
    for (const auto& info : trace.workers)
        names.push_back(jsonString(info.name)); // JSON quoting is valid CSV quoting for names without '"'
    auto row = [&](const Event& e, std::string_view name) {
        w << (e.time - trace.startNs) << "," << std::int64_t(e.worker) << "," << name << "," << eventKindName(e.kind)
          << "," << std::int64_t(e.lock) << "," << std::int64_t(e.cpu) << "," << e.value << "\n";
    };
    for (std::size_t lane = 0; lane < trace.lanes.size(); ++lane)
        for (const Event& e : trace.lanes[lane])
            row(e, lane < names.size() ? std::string_view(names[lane]) : std::string_view());
    for (const Event& e : trace.counterSamples) {
        const std::string name = trace.counterNames.size() > e.worker ? jsonString(trace.counterNames[e.worker]) : "";
        row(e, name);
    }
    return w.flush();
}

} // namespace tl
