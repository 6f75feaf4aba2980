#pragma once

#include "trace.h"

class QIODevice;

namespace tl {

// One row per event, gap and counter sample: the time in ns since the run started, the process (name, pid),
// the worker, the event kind, the lock's name, the CPU, and the value with what it means for that row.
bool writeCsv(const Trace& trace, QIODevice& out);

// One row per state span, as the timeline draws them: what people plot.
bool writeSpansCsv(const Trace& trace, QIODevice& out);

} // namespace tl
