#pragma once

#include <QJsonValue>
#include <QString>
#include <QStringList>

namespace tl::ui {

// How the results panel shows a scenario's figures: the JSON keeps machine names and nanoseconds, people
// read labels and durations.

// "longest_wait_ns" → "longest wait": the cell shows the duration with its own unit ("3.21 ms"), so the
// label drops it; "payload_kb" → "payload (KiB)", "throughput_mb_s" → "throughput (MB/s)".
QString resultLabel(const QString& key);

// One cell, as HTML: a duration for *_ns, a plain number for ids (pid, tid, cpu, seed: pasted into `ps` or
// a shell, so no separators), grouped digits for other integers ("120 456"), lists joined by commas.
QString resultCell(const QString& key, const QJsonValue& value);

// `keys` in reading order: those the scenario declares (ScenarioInfo::results) in its order, then numbers
// by value (payload sizes: "1024", "4096", "65536"), then the rest as they came.
QStringList readingOrder(QStringList keys, const QStringList& declared);

} // namespace tl::ui
