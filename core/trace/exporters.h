#pragma once

#include "trace.h"

class QIODevice;
class QString;

namespace tl {

// Chrome Trace Event JSON (opens in Perfetto UI and chrome://tracing): one complete event per state span,
// process and thread names as metadata, counters as counter events, timestamps in microseconds.
bool writeChromeTrace(const Trace& trace, QIODevice& out);

// One row per event: time_ns (since the run started), worker, worker_name, kind, lock, cpu, value.
bool writeCsv(const Trace& trace, QIODevice& out);

enum class TraceFormat { ChromeJson, Csv };

// Either format to a file, written atomically: on failure no partial file is left; `error` says why.
bool writeTraceFile(const Trace& trace, TraceFormat format, const QString& path, QString* error);

} // namespace tl
