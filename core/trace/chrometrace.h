#pragma once

#include "trace.h"

class QIODevice;

namespace tl {

// Chrome Trace Event JSON (opens in Perfetto UI and chrome://tracing): one complete event per state span,
// process and thread names as metadata, counters as counter events, timestamps in microseconds.
bool writeChromeTrace(const Trace& trace, QIODevice& out);

} // namespace tl
