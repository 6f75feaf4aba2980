#include "exporters.h"

#include "outputfile.h"
#include "perfetto.h"

namespace tl {

bool writeTraceFile(const Trace& trace, TraceFormat format, const QString& path, QString* error)
{
    QString why; // a reason of the format's own, better than writeOutput's generic one
    const bool written = writeOutput(
        path,
        [&](QIODevice& out) {
            switch (format) {
            case TraceFormat::ChromeJson:
                return writeChromeTrace(trace, out, &why);
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
    if (!written && !why.isEmpty() && error)
        *error = QStringLiteral("not writing %1: %2").arg(path, why);
    return written;
}

} // namespace tl
