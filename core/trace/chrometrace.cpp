#include "chrometrace.h"

#include "exportnames.h"
#include "exportwriter.h"
#include "spans.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>
#include <string>

namespace tl {

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

// The file's parts in the order they are written; every event after the first begins with ",\n".
class ChromeTraceWriter {
public:
    ChromeTraceWriter(const Trace& trace, QIODevice& out, std::uint64_t limit)
        : m_trace(trace)
        , m_w(out)
        , m_id(exportIdentity(trace))
    {
        m_w.setLimit(limit);
        for (int s = 0; s < kLaneStateCount; ++s)
            m_stateNames.push_back(jsonString(laneStateName(LaneState(s))));
        for (const auto& name : trace.lockNames)
            m_lockNames.push_back(jsonString(name));
    }

    bool write()
    {
        const auto lanes = buildSpans(m_trace);
        header();
        for (std::size_t i = 0; i < m_trace.workers.size(); ++i)
            threadTrack(m_id.threads[i].pid, m_id.threads[i].tid, m_id.threads[i].name, std::int64_t(i + 1));
        phases();
        for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
            spans(lanes[lane], m_id.threads[lane]);
            if (m_w.overLimit())
                return false; // the rest would only be thrown away
        }
        for (std::size_t lane = 0; lane < lanes.size(); ++lane)
            marks(lanes[lane], m_id.threads[lane]);
        counters();
        m_w << "\n]}\n";
        return m_w.flush();
    }
    bool overLimit() const { return m_w.overLimit(); }

private:
    // The run's description, and the processes' names.
    void header()
    {
        m_w << "{\"otherData\":{\"scenario\":" << jsonString(m_trace.scenario)
            << ",\"params\":" << jsonString(m_trace.paramsText())
            << ",\"dropped_events\":" << std::int64_t(m_trace.droppedEvents)
            << ",\"tick_source\":" << jsonString(m_trace.tickSource)
            << ",\"time_zero\":\"the run's start, as time_since_start_ns in the CSVs and 0 on the slide's axis\"},"
               "\n\"traceEvents\":[\n";
        for (std::size_t i = 0; i < m_id.processes.size(); ++i)
            m_w << (i == 0 ? "" : ",\n") << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" << m_id.processes[i].pid
                << ",\"tid\":0,\"args\":{\"name\":" << jsonString(m_id.processes[i].name) << "}}";
    }

    // A track's name and its place among its process's tracks.
    void threadTrack(std::int64_t pid, std::int64_t tid, const QString& name, std::int64_t sortIndex)
    {
        m_w << ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":" << pid << ",\"tid\":" << tid
            << ",\"args\":{\"name\":" << jsonString(name) << "}}";
        m_w << ",\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":" << pid << ",\"tid\":" << tid
            << ",\"args\":{\"sort_index\":" << sortIndex << "}}";
    }

    // The run's phases: slices on a track of their own in the run's process, above the workers.
    void phases()
    {
        if (m_trace.phases.empty())
            return;
        const std::int64_t phaseTid = kLaneTidBase + std::int64_t(m_id.threads.size()); // past every lane's id
        threadTrack(m_id.mainPid(), phaseTid, QStringLiteral("phases"), -1);
        for (const Phase& phase : m_trace.phases) {
            const std::int64_t start = phase.start - m_trace.startNs;
            const std::int64_t end = (phase.end == INT64_MAX ? m_trace.endNs : phase.end) - m_trace.startNs;
            m_w << ",\n{\"name\":" << jsonString(phase.label) << ",\"cat\":\"phase\",\"ph\":\"X\",\"ts\":";
            m_w.micros(start);
            m_w << ",\"dur\":";
            m_w.micros(viewerSafeDuration(start, std::max(start, end)));
            m_w << ",\"pid\":" << m_id.mainPid() << ",\"tid\":" << phaseTid << ",\"args\":{}}";
        }
    }

    // A complete event per state span, and per gap (events lost).
    void spans(const LaneSpans& lane, const ExportThread& thread)
    {
        std::size_t gap = 0;
        for (std::size_t i = 0; i < lane.spans.size(); ++i) {
            const Span& s = lane.spans[i];
            const std::int64_t start = s.start - m_trace.startNs;
            const std::int64_t dur = viewerSafeDuration(start, s.end - m_trace.startNs);
            const bool noData = s.state == LaneState::NoData;
            m_w << ",\n{\"name\":" << (noData ? std::string("\"events lost\"") : m_stateNames[std::size_t(s.state)])
                << ",\"cat\":" << (noData ? "\"gap\"" : "\"state\"") << ",\"ph\":\"X\",\"ts\":";
            m_w.micros(start);
            m_w << ",\"dur\":";
            m_w.micros(dur);
            m_w << ",\"pid\":" << thread.pid << ",\"tid\":" << thread.tid << ",\"args\":{";
            if (noData) {
                m_w << "\"lost_events\":" << std::int64_t(lostEventsIn(lane, s, gap));
            } else {
                m_w << "\"cpu\":" << std::int64_t(s.cpu);
                if (s.lock != 0 && s.lock < m_lockNames.size())
                    m_w << ",\"lock\":" << m_lockNames[s.lock];
                if (s.inside != LaneState::Running) { // a wait inside a hold: the strip along the lane's bottom
                    m_w << ",\"inside\":" << jsonString(insideName(s.inside));
                    if (s.insideLock != 0 && s.insideLock < m_lockNames.size())
                        m_w << ",\"inside_lock\":" << m_lockNames[s.insideLock];
                }
            }
            m_w << "}}";
        }
    }

    // Marks and process ends as instant events on their thread: phase "I", the only one DevTools' trace engine
    // reads as an instant (it silently drops "i"; Perfetto and chrome://tracing read both).
    void marks(const LaneSpans& lane, const ExportThread& thread)
    {
        for (const LaneMark& m : lane.marks) {
            const bool exited = m.kind == EventKind::Exited;
            m_w << ",\n{\"name\":"
                << (exited ? jsonString(QString::fromStdString(exitText(m.value))) : std::string("\"mark\""))
                << ",\"cat\":" << (exited ? "\"process\"" : "\"mark\"") << ",\"ph\":\"I\",\"s\":\"t\",\"ts\":";
            m_w.micros(m.time - m_trace.startNs);
            m_w << ",\"pid\":" << thread.pid << ",\"tid\":" << thread.tid << ",\"args\":{\""
                << (exited ? "exit" : "value") << "\":" << std::int64_t(m.value) << "}}";
        }
    }

    void counters()
    {
        for (const CounterSample& c : m_trace.counterSamples) {
            const QString name = m_trace.counterNames.size() > c.counter ? m_trace.counterNames[c.counter] : QString();
            m_w << ",\n{\"name\":" << jsonString(name) << ",\"ph\":\"C\",\"ts\":";
            m_w.micros(c.time - m_trace.startNs);
            m_w << ",\"pid\":" << m_id.mainPid() << ",\"args\":{\"value\":" << c.value << "}}";
        }
    }

    const Trace& m_trace;
    ExportWriter m_w;
    const ExportIdentity m_id;
    std::vector<std::string> m_stateNames; // quoted once, not once per span
    std::vector<std::string> m_lockNames;
};

} // namespace

bool writeChromeTrace(const Trace& trace, QIODevice& out)
{
    return writeChromeTrace(trace, out, nullptr);
}

std::uint64_t chromeJsonLimit()
{
    const QByteArray forced = qgetenv("THREADLAB_CHROME_JSON_LIMIT");
    return forced.isEmpty() ? std::uint64_t(0x1fffffe8) : forced.toULongLong();
}

bool writeChromeTrace(const Trace& trace, QIODevice& out, QString* why)
{
    ChromeTraceWriter writer(trace, out, chromeJsonLimit());
    if (writer.write())
        return true;
    if (why && writer.overLimit())
        *why
            = QStringLiteral("as Chrome JSON this run's %1 events pass %2 bytes, more than DevTools can open (a string "
                             "of at most 0x1fffffe8 characters), so it was not written; write it with --perfetto "
                             "(File → Export Trace… as .perfetto-trace): about a fifth of the size, and Perfetto UI "
                             "opens it whole")
                  .arg(trace.eventCount())
                  .arg(chromeJsonLimit());
    return false;
}

} // namespace tl
