#pragma once

#include "../trace/recorder.h"

#include <QJsonObject>
#include <QStringList>
#include <cstdint>

namespace tl {

struct ChildBlock;

// What a scenario's code sees inside a child process (Scenario::runChild): the arguments it was started
// with, its standard input, its event recorder (drained live by the parent) and its report, printed as one
// JSON line on standard output when it ends.
class ChildContext {
public:
    ChildContext(QStringList args, ChildBlock& block, Recorder& recorder);

    const QStringList& args() const { return m_args; }
    QString arg(int index) const { return m_args.value(index); }
    // The keys of the segments and semaphores the parent shared with this child (ChildSpec::sharedKeys).
    QString sharedKey(int index) const;
    Recorder& recorder() { return m_recorder; }
    // All of standard input (recorded as an I/O wait), as the parent wrote it.
    QByteArray readInput();
    // One live figure the parent can sample, e.g. a queue's depth.
    void setGauge(std::int64_t value);
    void report(const QString& key, const QJsonValue& value) { m_report.insert(key, value); }
    const QJsonObject& reportObject() const { return m_report; }

private:
    QStringList m_args;
    ChildBlock& m_block;
    Recorder& m_recorder;
    QJsonObject m_report;
};

} // namespace tl
