#include "../support/lossfixture.h"
#include "../support/runscenario.h"

#include <session/run.h>
#include <trace/exporters.h>
#include <trace/spans.h>

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <algorithm>
#include <map>
#include <set>

using namespace tl;

class TestExporters : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void chromeTraceHasWhatPerfettoNeeds();
    void csvHasOneRowPerEvent();
    void spansCsvHasOneRowPerSpan();
    void sliceEndsNeverPassTheNextStartInDoubles();
    void overflowingRingsLeaveGapsInEveryExport();
    void aLossIsTheSameGapInEveryExport();
    void marksAreInstantsDevToolsKeeps();

private:
    std::shared_ptr<const Trace> m_trace;
};

void TestExporters::initTestCase()
{
    m_trace = test::runScenario(
        QStringLiteral("race-counter"), { QStringLiteral("workers=3"), QStringLiteral("increments=2000") })
                  .trace;
}

void TestExporters::chromeTraceHasWhatPerfettoNeeds()
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    QVERIFY(writeChromeTrace(*m_trace, buffer));
    QJsonParseError error;
    const auto doc = QJsonDocument::fromJson(buffer.data(), &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    const QJsonArray events = doc.object()[u"traceEvents"].toArray();
    QVERIFY(!events.isEmpty());

    QStringList threadNames;
    int complete = 0;
    int counters = 0;
    bool processNamed = false;
    for (const auto& v : events) {
        const QJsonObject e = v.toObject();
        const QString ph = e[u"ph"].toString();
        QVERIFY(e.contains(u"pid"));
        if (ph == u"M" && e[u"name"].toString() == u"thread_name")
            threadNames << e[u"args"].toObject()[u"name"].toString();
        if (ph == u"M" && e[u"name"].toString() == u"process_name")
            processNamed = true;
        if (ph == u"X") {
            ++complete;
            QVERIFY(e.contains(u"ts") && e.contains(u"dur") && e.contains(u"tid") && e.contains(u"name"));
            QVERIFY(e[u"dur"].toDouble() >= 0);
        }
        if (ph == u"C") {
            ++counters;
            QVERIFY(e[u"args"].toObject().contains(u"value"));
        }
    }
    QVERIFY(processNamed);
    QCOMPARE(threadNames, (QStringList { "worker-1", "worker-2", "worker-3" })); // one per worker
    QVERIFY(complete > 3 * 2000); // at least the lock holds
    QVERIFY(counters >= 2); // expected and actual, sampled
}

namespace {
// RFC 4180 fields of one line (no line breaks inside fields: our names have none).
QStringList csvFields(const QByteArray& line)
{
    QStringList fields;
    QString field;
    bool quoted = false;
    const QString text = QString::fromUtf8(line);
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (quoted && c == u'"' && i + 1 < text.size() && text[i + 1] == u'"')
            field += text[++i];
        else if (c == u'"')
            quoted = !quoted;
        else if (c == u',' && !quoted)
            fields << std::exchange(field, QString());
        else
            field += c;
    }
    return fields << field;
}

// Rows as maps from the header's column names.
std::vector<std::map<QString, QString>> csvRows(const QByteArray& csv, QStringList* header)
{
    const QList<QByteArray> lines = csv.trimmed().split('\n');
    *header = csvFields(lines.first());
    std::vector<std::map<QString, QString>> rows;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList fields = csvFields(lines[i]);
        std::map<QString, QString> row;
        for (qsizetype c = 0; c < fields.size(); ++c)
            row[c < header->size() ? (*header)[c] : QStringLiteral("extra %1").arg(c)] = fields[c];
        rows.push_back(std::move(row));
    }
    return rows;
}

QByteArray written(bool (*writer)(const Trace&, QIODevice&), const Trace& trace)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    return writer(trace, buffer) ? buffer.data() : QByteArray();
}
}

void TestExporters::csvHasOneRowPerEvent()
{
    QStringList header;
    const auto rows = csvRows(written(writeCsv, *m_trace), &header);
    QCOMPARE(header.join(u','),
        QStringLiteral("time_since_start_ns,row,process,pid,worker,tid,worker_name,kind,lock,cpu,counter,value,"
                       "value_meaning"));
    QCOMPARE(rows.size(), m_trace->eventCount());
    const qint64 pid = m_trace->workers.front().pid;
    std::set<QString> locks, meanings;
    for (const auto& row : rows) {
        QCOMPARE(row.size(), std::size_t(header.size())); // every row has every column, no more
        QVERIFY(!row.at(u"value_meaning"_qs).isEmpty());
        QCOMPARE(row.at(u"pid"_qs).toLongLong(), pid);
        QCOMPARE(row.at(u"process"_qs), QStringLiteral("ThreadLab (pid %1)").arg(pid));
        // Number columns hold an integer on every row, so pandas reads them as int64, not float64.
        for (const auto* column : { "time_since_start_ns", "pid", "worker", "tid", "cpu", "value" }) {
            bool integer = false;
            row.at(QString::fromLatin1(column)).toLongLong(&integer);
            QVERIFY2(integer, column);
        }
        if (row.at(u"row"_qs) == u"counter") {
            QCOMPARE(row.at(u"worker"_qs), u"-1"_qs); // not a worker number: counter 0 is not worker 0
            QCOMPARE(row.at(u"tid"_qs), u"-1"_qs);
            QVERIFY(!row.at(u"counter"_qs).isEmpty());
        } else {
            QVERIFY(row.at(u"worker_name"_qs).startsWith(u"worker-"));
            // The OS thread the worker ran on, as gettid() gave it to the recorder.
            const auto& worker = m_trace->workers.at(row.at(u"worker"_qs).toULongLong());
            QCOMPARE(row.at(u"worker_name"_qs), worker.name);
            QCOMPARE(row.at(u"tid"_qs).toLongLong(), worker.tid);
        }
        if (!row.at(u"lock"_qs).isEmpty())
            locks.insert(row.at(u"lock"_qs));
        if (row.at(u"kind"_qs) == u"lock_acquired")
            meanings.insert(row.at(u"value_meaning"_qs));
    }
    // The lock by its name, as the app shows it, not its number.
    QCOMPARE(locks, (std::set<QString> { m_trace->lockNames.at(1) }));
    QCOMPARE(meanings.size(), std::size_t(1));
    std::set<QString> started; // each worker's start, wherever other rows (counters, switches) come
    for (const auto& row : rows)
        if (row.at(u"kind"_qs) == u"started")
            started.insert(row.at(u"worker_name"_qs));
    QCOMPARE(started, (std::set<QString> { "worker-1", "worker-2", "worker-3" }));
}

void TestExporters::spansCsvHasOneRowPerSpan()
{
    QStringList header;
    const auto rows = csvRows(written(writeSpansCsv, *m_trace), &header);
    QCOMPARE(header.join(u','),
        QStringLiteral("process,pid,worker,tid,worker_name,state,start_since_start_ns,end_since_start_ns,lock,"
                       "cpu,lost_events,inside,inside_lock"));
    const auto lanes = buildSpans(*m_trace);
    std::vector<const Span*> spans;
    std::vector<std::size_t> laneOf;
    for (std::size_t lane = 0; lane < lanes.size(); ++lane)
        for (const Span& s : lanes[lane].spans) {
            spans.push_back(&s);
            laneOf.push_back(lane);
        }
    QCOMPARE(rows.size(), spans.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& row = rows[i];
        QCOMPARE(row.size(), std::size_t(header.size()));
        QCOMPARE(row.at(u"worker"_qs).toULongLong(), laneOf[i]);
        QCOMPARE(row.at(u"tid"_qs).toLongLong(), m_trace->workers.at(laneOf[i]).tid);
        QCOMPARE(row.at(u"cpu"_qs).toLongLong(), qint64(spans[i]->cpu));
        // Events are lost only inside a gap; everywhere else the column says 0, not nothing (pandas: int64).
        if (spans[i]->state != LaneState::NoData)
            QCOMPARE(row.at(u"lost_events"_qs), u"0"_qs);
        QCOMPARE(row.at(u"start_since_start_ns"_qs).toLongLong(), spans[i]->start - m_trace->startNs);
        QCOMPARE(row.at(u"end_since_start_ns"_qs).toLongLong(), spans[i]->end - m_trace->startNs);
        QCOMPARE(row.at(u"state"_qs), laneStateName(spans[i]->state));
        QCOMPARE(row.at(u"lock"_qs), exportLockName(*m_trace, spans[i]->lock));
        QCOMPARE(row.at(u"inside"_qs), insideName(spans[i]->inside));
        QCOMPARE(row.at(u"inside_lock"_qs), exportLockName(*m_trace, spans[i]->insideLock));
    }
}

namespace {
QJsonArray chromeEvents(const Trace& trace)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    if (!writeChromeTrace(trace, buffer))
        return {};
    return QJsonDocument::fromJson(buffer.data()).object()[u"traceEvents"].toArray();
}
}

// Viewers add ts + dur in doubles (DevTools drops a slice whose end passes the next start on its thread): check
// the sums exactly as they compute them, not in integer ns.
void TestExporters::sliceEndsNeverPassTheNextStartInDoubles()
{
    std::map<std::pair<qint64, qint64>, std::vector<std::pair<double, double>>> byThread;
    for (const auto& v : chromeEvents(*m_trace)) {
        const QJsonObject e = v.toObject();
        if (e[u"ph"].toString() == u"X")
            byThread[{ e[u"pid"].toInteger(), e[u"tid"].toInteger() }].emplace_back(
                e[u"ts"].toDouble(), e[u"dur"].toDouble());
    }
    QVERIFY(!byThread.empty());
    std::size_t checked = 0;
    for (auto& [thread, slices] : byThread) {
        std::sort(slices.begin(), slices.end());
        for (std::size_t i = 0; i + 1 < slices.size(); ++i, ++checked)
            QVERIFY2(slices[i].first + slices[i].second <= slices[i + 1].first,
                qPrintable(QStringLiteral("%1 + %2 > %3")
                               .arg(slices[i].first, 0, 'f', 6)
                               .arg(slices[i].second, 0, 'f', 6)
                               .arg(slices[i + 1].first, 0, 'f', 6)));
    }
    QVERIFY(checked > 1000);
}

// Rings far too small for the run: events are lost, and every export says where, without a span across.
void TestExporters::overflowingRingsLeaveGapsInEveryExport()
{
    qputenv("THREADLAB_RING_EVENTS", "1024");
    const auto o = test::runScenario(QStringLiteral("race-counter"),
        { QStringLiteral("workers=2"), QStringLiteral("increments=300000"), QStringLiteral("lock=none") });
    qunsetenv("THREADLAB_RING_EVENTS");
    const Trace& trace = *o.trace;
    QVERIFY2(trace.droppedEvents > 0, "1024-event rings kept up with 1.2 M events");

    // The lanes: one Lost event per gap, their counts adding up to the total dropped.
    std::uint64_t marked = 0;
    for (const auto& lane : trace.lanes)
        for (const Event& e : lane)
            if (e.kind == EventKind::Lost)
                marked += std::uint64_t(e.value);
    QCOMPARE(marked, trace.droppedEvents);
    std::uint64_t noted = 0; // and the collector noted each of them for the summaries
    for (const LaneLoss& loss : trace.losses)
        noted += loss.lost;
    QCOMPARE(noted, trace.droppedEvents);

    // The trace: gaps as "events lost" slices carrying the count; no state slice of that lane overlaps one.
    std::map<qint64, std::vector<std::pair<double, double>>> gaps, states;
    std::uint64_t inTrace = 0;
    for (const auto& v : chromeEvents(trace)) {
        const QJsonObject e = v.toObject();
        if (e[u"ph"].toString() != u"X")
            continue;
        const double ts = e[u"ts"].toDouble();
        const std::pair<double, double> range { ts, ts + e[u"dur"].toDouble() };
        if (e[u"name"].toString() == u"events lost") {
            inTrace += std::uint64_t(e[u"args"].toObject()[u"lost_events"].toInteger());
            gaps[e[u"tid"].toInteger()].push_back(range);
        } else {
            states[e[u"tid"].toInteger()].push_back(range);
        }
    }
    QVERIFY(!gaps.empty());
    for (const auto& [tid, lane] : gaps)
        for (const auto& g : lane)
            for (const auto& s : states[tid])
                QVERIFY2(s.second <= g.first || s.first >= g.second, "a state slice bridges lost events");
    QVERIFY(inTrace > 0 && inTrace <= trace.droppedEvents); // zero-width gaps (lost at a lane's start) have no slice

    // The CSV: a gap row per loss, its value the count.
    QStringList header;
    std::uint64_t inCsv = 0;
    for (const auto& row : csvRows(written(writeCsv, trace), &header))
        if (row.at(u"row"_qs) == u"gap")
            inCsv += row.at(u"value"_qs).toULongLong();
    QCOMPARE(inCsv, trace.droppedEvents);

    // The account and the summary.
    QVERIFY(gapAccount(trace).contains(QStringLiteral("worker-")));
    // The kernel's switch records lost are told apart: the lane's states stand there, only the CPU is unknown.
    Trace kernelLoss;
    kernelLoss.workers.push_back({});
    kernelLoss.workers.back().name = QStringLiteral("worker-1");
    kernelLoss.droppedEvents = 966;
    kernelLoss.losses.push_back({ 0, 1000, 966, true });
    const QString account = gapAccount(kernelLoss);
    QVERIFY2(account.contains(QStringLiteral("worker-1 lost 966 switch records in 1 gap")), qPrintable(account));
    QVERIFY2(!account.contains(QStringLiteral("no span is drawn")), qPrintable(account));
    const QJsonObject summary = summaryJson(o);
    QVERIFY(!summary[u"gaps"].toArray().isEmpty());
    // What the run counted is exact all the same: lost updates come from the counter, not from the trace.
    QCOMPARE(o.results[u"expected"].toInteger(), 600000);
}

// A recorded loss with the kernel's switch records inside it, and lost switch records: the JSON and the spans CSV
// show the loss as one gap over the whole lost stretch, nothing claimed inside it, and the CPU unknown where the
// kernel's records were lost (Perfetto: tst_perfetto).
void TestExporters::aLossIsTheSameGapInEveryExport()
{
    using Fixture = test::LossFixture;
    const Trace trace = Fixture::trace();
    const QString unknown = QStringLiteral("CPU unknown");
    std::vector<Fixture::Slice> json;
    for (const auto& v : chromeEvents(trace)) {
        const QJsonObject e = v.toObject();
        if (e[u"ph"].toString() != u"X" || e[u"cat"].toString() == u"phase")
            continue;
        const QJsonObject args = e[u"args"].toObject();
        const std::int64_t start = qRound64(e[u"ts"].toDouble() * 1000);
        const auto worker = std::find_if(trace.workers.begin(), trace.workers.end(),
            [&](const WorkerInfo& w) { return w.tid == e[u"tid"].toInteger(); });
        json.push_back({ std::size_t(worker - trace.workers.begin()), start,
            start + qRound64(e[u"dur"].toDouble() * 1000), e[u"name"].toString() == u"events lost",
            args[u"cpu"].toInteger() == -1 && args[u"inside"].toString().contains(unknown) });
    }
    QString wrong = Fixture::wrongIn(json);
    QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("JSON: ") + wrong));

    QStringList header;
    std::vector<Fixture::Slice> csv;
    std::vector<qint64> lostInGaps;
    for (const auto& row : csvRows(written(writeSpansCsv, trace), &header)) {
        if (row.at(u"state"_qs) == u"no data")
            lostInGaps.push_back(row.at(u"lost_events"_qs).toLongLong());
        csv.push_back({ std::size_t(row.at(u"worker_name"_qs).mid(7).toInt() - 1),
            row.at(u"start_since_start_ns"_qs).toLongLong(), row.at(u"end_since_start_ns"_qs).toLongLong(),
            row.at(u"state"_qs) == u"no data", row.at(u"cpu"_qs) == u"-1" && row.at(u"inside"_qs).contains(unknown) });
    }
    wrong = Fixture::wrongIn(csv);
    QCOMPARE(lostInGaps, std::vector<qint64> { 500 }); // the fixture's one loss, in the gap's own row
    QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("spans CSV: ") + wrong));

    // The events CSV keeps the loss as it was recorded: where recording resumed, with its count.
    std::set<std::pair<qint64, qint64>> gapRows;
    for (const auto& row : csvRows(written(writeCsv, trace), &header))
        if (row.at(u"row"_qs) == u"gap")
            gapRows.insert({ row.at(u"time_since_start_ns"_qs).toLongLong(), row.at(u"value"_qs).toLongLong() });
    QCOMPARE(gapRows,
        (std::set<std::pair<qint64, qint64>> {
            { Fixture::kLostTo - Fixture::kStart, 500 }, { Fixture::kCpuUnknownTo - Fixture::kStart, 7 } }));
}

// The failures scenario marks each task's start with its number: every mark is an instant on its worker's
// thread, in the phase DevTools' trace engine keeps ("I"; it drops "i" without a word).
void TestExporters::marksAreInstantsDevToolsKeeps()
{
    const auto o = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=6"), QStringLiteral("task_ms=1"), QStringLiteral("hang_rate=0") });
    std::set<qint64> marked;
    for (const auto& v : chromeEvents(*o.trace)) {
        const QJsonObject e = v.toObject();
        if (e[u"name"].toString() != u"mark")
            continue;
        QCOMPARE(e[u"ph"].toString(), QStringLiteral("I"));
        QCOMPARE(e[u"s"].toString(), QStringLiteral("t"));
        QVERIFY(e[u"tid"].toInteger() > 0);
        marked.insert(e[u"args"][u"value"].toInteger());
    }
    QCOMPARE(marked, (std::set<qint64> { 0, 1, 2, 3, 4, 5 }));
}

QTEST_GUILESS_MAIN(TestExporters)
#include "tst_exporters.moc"
