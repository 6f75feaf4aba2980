#pragma once

#include "../trace/recorder.h"

#include <QJsonObject>
#include <QStringList>
#include <cstdint>
#include <optional>

namespace tl {

struct ChildBlock;

// What a scenario's code sees inside a child process (Scenario::runChild): the arguments it was started
// with, its standard input, its event recorder (drained live by the parent) and its report, printed as one
// JSON line on standard output when it ends.
class ChildContext {
public:
    ChildContext(QStringList args, ChildBlock& block, Recorder& recorder);

    // A forked child: its input and shared keys are the parent's own objects, inherited copy-on-write with
    // the rest of its memory, so nothing is read from a pipe or the environment.
    void inherit(QByteArray input, QStringList sharedKeys);
    bool forked() const { return m_inherited.has_value(); }

    const QStringList& args() const { return m_args; }
    QString arg(int index) const { return m_args.value(index); }
    // The keys of the segments and semaphores the parent shared with this child (ChildSpec::sharedKeys).
    QString sharedKey(int index) const;
    Recorder& recorder() { return m_recorder; }
    // All of standard input (recorded as an I/O wait), as the parent wrote it; counted as copied. A forked
    // child gets the parent's bytes in place: no wait, nothing copied.
    QByteArray readInput();
    // One live figure the parent can sample, e.g. a queue's depth.
    void setGauge(std::int64_t value);
    void report(const QString& key, const QJsonValue& value) { m_report.insert(key, value); }
    const QJsonObject& reportObject() const { return m_report; }

    // The child's first and last words, the same however it was started. reportForDuty() records Started
    // and its time (the parent's measure of the start-up); finish() records Finished and the CPU time and
    // writes the report as the last line of standard output, with write(2): a forked child must not flush
    // the stdio buffers it inherited, or the parent's pending output would appear twice. Returns `code`.
    static void reportForDuty(ChildBlock& block, Recorder& recorder);
    int finish(int code);

private:
    QStringList m_args;
    ChildBlock& m_block;
    Recorder& m_recorder;
    QJsonObject m_report;
    std::optional<QByteArray> m_inherited;
    QStringList m_sharedKeys;
};

} // namespace tl
