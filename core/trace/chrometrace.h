#pragma once

#include "trace.h"

#include <QString>
#include <cstdint>

class QIODevice;

namespace tl {

// Chrome Trace Event JSON (opens in Perfetto UI and chrome://tracing): one complete event per state span,
// process and thread names as metadata, counters as counter events, timestamps in microseconds.
// A file DevTools could not open is not written: past chromeJsonLimit() bytes the writer stops, returns false and
// says why in `why` (with the figure and the way out: Perfetto's format).
bool writeChromeTrace(const Trace& trace, QIODevice& out, QString* why);
bool writeChromeTrace(const Trace& trace, QIODevice& out);
// The longest string DevTools' trace engine (V8) can hold, 0x1fffffe8 characters, as bytes (JSON's are ASCII
// but for names); THREADLAB_CHROME_JSON_LIMIT sets another, for tests.
std::uint64_t chromeJsonLimit();

} // namespace tl
