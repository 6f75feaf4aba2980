#pragma once

// Every trace export: each format in its own file, and writeTraceFile, which writes any of them to a file.

#include "chrometrace.h"
#include "csv.h"
#include "exportnames.h"
#include "exportwriter.h"
#include "trace.h"

class QString;

namespace tl {

enum class TraceFormat { ChromeJson, Csv, SpansCsv, Perfetto };

// Any format to a file, written atomically: on failure no partial file is left; `error` says why.
bool writeTraceFile(const Trace& trace, TraceFormat format, const QString& path, QString* error);

} // namespace tl
