#include "exporters.h"

#include "outputfile.h"
#include "perfetto.h"

namespace tl {

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

} // namespace tl
