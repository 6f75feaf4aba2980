#pragma once

#include <QString>
#include <QtGlobal>

namespace tl {

// Numbers as people read them, shared by the scenarios' outcome texts, the results panel and the painter.
QString groupedNumber(qint64 n); // 120456 -> "120 456"
QString percent(double share); // 0.381 -> "38%"
QString formatDuration(double ns); // "120 µs", "3.5 ms"

} // namespace tl
