#pragma once

#include "trace.h"

#include <QStringList>
#include <vector>

class QIODevice;

namespace tl {

// One row per event, gap and counter sample: the time in ns since the run started, the process (name, pid),
// the worker, the event kind, the lock's name, the CPU, and the value with what it means for that row.
bool writeCsv(const Trace& trace, QIODevice& out);

// One row per state span, as the timeline draws them: what people plot.
bool writeSpansCsv(const Trace& trace, QIODevice& out);

// A table of figures (the results panel's per-worker table): a header row, then one row each; a cell that is
// a plain number (an integer, or a decimal) is written bare so readers keep it a number, any other quoted.
bool writeCsvTable(const QStringList& header, const std::vector<QStringList>& rows, QIODevice& out);

} // namespace tl
