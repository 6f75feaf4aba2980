#pragma once

#include "spans.h"
#include "trace.h"

#include <string>
#include <string_view>

class QIODevice;
class QString;

namespace tl {

// Chrome Trace Event JSON (opens in Perfetto UI and chrome://tracing): one complete event per state span,
// process and thread names as metadata, counters as counter events, timestamps in microseconds.
bool writeChromeTrace(const Trace& trace, QIODevice& out);

// One row per event, gap and counter sample: the time in ns since the run started, the process (name, pid),
// the worker, the event kind, the lock's name, the CPU, and the value with what it means for that row.
bool writeCsv(const Trace& trace, QIODevice& out);

// One row per state span, as the timeline draws them: what people plot.
bool writeSpansCsv(const Trace& trace, QIODevice& out);

enum class TraceFormat { ChromeJson, Csv, SpansCsv, Perfetto };

// Any format to a file, written atomically: on failure no partial file is left; `error` says why.
bool writeTraceFile(const Trace& trace, TraceFormat format, const QString& path, QString* error);

// --- Shared by the exporters, so that every format names processes, lanes and locks alike. ---

struct ExportProcess {
    std::int64_t pid;
    QString name; // "ThreadLab (pid 21198)", as the timeline groups lanes
};

struct ExportThread {
    std::int64_t pid; // the lane's real process: a child process is its own process
    std::int64_t tid; // lane + 1: stable and unique even when a pool reuses OS threads
    QString name; // the worker's name, as in the app
};

struct ExportIdentity {
    std::vector<ExportProcess> processes; // never empty; the first is the run's own process
    std::vector<ExportThread> threads; // threads[lane]
    std::int64_t mainPid() const { return processes.front().pid; }
};
ExportIdentity exportIdentity(const Trace& trace);

// The lock's name, empty for "no lock" (id 0) or an unknown id.
QString exportLockName(const Trace& trace, std::uint16_t lock);

// What a span is still inside while in its state (Span::inside), for people: "holding lock", "unprotected
// section", "CPU unknown" (the kernel's switch records were lost); empty when nothing.
QString insideName(LaneState inside);

// Events lost in a lane's NoData span. `cursor` walks the lane's gaps: call in span order.
std::uint64_t lostEventsIn(const LaneSpans& lane, const Span& noData, std::size_t& cursor);

// Builds output in a string and hands it to the device in large pieces; exports can hold millions of rows.
class ExportWriter {
public:
    explicit ExportWriter(QIODevice& out);
    ~ExportWriter() { flush(); }
    ExportWriter& operator<<(std::string_view s)
    {
        m_buf.append(s);
        if (m_buf.size() >= kFlushAt)
            flush();
        return *this;
    }
    ExportWriter& operator<<(std::int64_t v);
    ExportWriter& micros(std::int64_t ns); // microseconds with nanosecond precision, as Chrome traces expect
    bool flush();

private:
    static constexpr std::size_t kFlushAt = 1 << 20;
    QIODevice& m_out;
    std::string m_buf;
    bool m_ok = true;
};

} // namespace tl
