#include "../support/lossfixture.h"
#include "../support/runscenario.h"

#include <session/run.h>
#include <trace/exporters.h>
#include <trace/perfetto.h>
#include <trace/spans.h>

#include <QBuffer>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryFile>
#include <QTest>
#include <map>
#include <set>

using namespace tl;
using namespace tl::proto;

namespace {

// What a Perfetto reader gets from the file: a reader of our own, written from the public protos' field
// numbers, that also holds the file to the rules trace_processor relies on (interned before use, sequence
// flags, flat slices per track).
struct Decoded {
    struct Slice {
        std::int64_t start = 0;
        std::int64_t end = -1;
        std::string name;
        std::int64_t lostEvents = -1;
        std::map<std::string, std::string> text; // string annotations by name: inside, inside_lock
    };
    struct Instant {
        std::uint64_t track;
        std::int64_t time;
        std::string name;
        std::int64_t value;
    };
    std::size_t packets = 0;
    std::size_t incrementalTimestamps = 0; // packets timed as a delta from their sequence's previous one
    std::map<std::uint64_t, std::vector<Slice>> slices; // by track uuid
    std::map<std::uint64_t, std::pair<std::int64_t, std::int64_t>> threads; // uuid → pid, tid
    std::map<std::uint64_t, std::string> threadNames;
    std::map<std::int64_t, std::string> processes; // pid → name
    std::map<std::uint64_t, std::string> counterTracks;
    std::map<std::uint64_t, std::pair<std::string, std::uint64_t>>
        namedTracks; // neither thread nor counter: name, parent
    std::map<std::uint64_t, std::size_t> counterValues; // samples per counter track
    std::vector<Instant> instants;
    QStringList errors;
};

struct SequenceState {
    bool started = false;
    std::int64_t lastTime = 0;
    std::uint64_t defaultTrack = 0;
    std::uint64_t defaultClock = 0; // 0: the trace's clock (BOOTTIME)
    // The sequence's own clocks (ids 64..127) as their snapshots define them: incremental or not, the reading
    // that corresponds to `bootTime`, and the incremental clock's running value.
    struct Clock {
        bool incremental = false;
        std::int64_t reading = 0, bootTime = 0, value = 0;
    };
    std::map<std::uint64_t, Clock> clocks;
    std::map<std::uint64_t, std::string> eventNames;
    std::map<std::uint64_t, std::string> annotationNames;
};

void readInterned(std::string_view bytes, SequenceState& seq)
{
    Reader r(bytes);
    for (Field f; r.next(&f);) {
        if (f.number != 2 && f.number != 3) // event_names, debug_annotation_names
            continue;
        std::uint64_t iid = 0;
        std::string name;
        Reader entry(f.bytes);
        for (Field e; entry.next(&e);) {
            if (e.number == 1)
                iid = e.value;
            if (e.number == 2)
                name = std::string(e.bytes);
        }
        (f.number == 2 ? seq.eventNames : seq.annotationNames)[iid] = name;
    }
}

// A ClockSnapshot: each of the sequence's clocks it names is pinned to the BOOTTIME reading beside it.
void readClockSnapshot(std::string_view bytes, SequenceState& seq, Decoded& d)
{
    std::map<std::uint64_t, SequenceState::Clock> readings;
    Reader r(bytes);
    for (Field f; r.next(&f);) {
        if (f.number != 1)
            continue;
        std::uint64_t id = 0;
        SequenceState::Clock c;
        for (Reader clock(f.bytes); clock.next(&f);) {
            if (f.number == 1)
                id = f.value;
            else if (f.number == 2)
                c.reading = std::int64_t(f.value);
            else if (f.number == 3)
                c.incremental = f.value != 0;
            else if (f.number == 4 && f.value != 1)
                d.errors << QStringLiteral("clock %1 is not in ns").arg(id);
        }
        readings[id] = c;
    }
    if (!readings.count(6))
        d.errors << QStringLiteral("a clock snapshot without BOOTTIME");
    for (auto& [id, c] : readings) {
        if (id < 64)
            continue;
        if (id > 127)
            d.errors << QStringLiteral("clock %1 is not sequence-scoped").arg(id);
        c.bootTime = readings[6].reading;
        c.value = c.reading;
        seq.clocks[id] = c;
    }
}

// A packet's timestamp in trace time: as written on BOOTTIME, or through the clock it names.
std::int64_t traceTime(std::int64_t timestamp, std::uint64_t clockId, SequenceState& seq, Decoded& d)
{
    if (clockId == 0 || clockId == 6)
        return timestamp;
    const auto it = seq.clocks.find(clockId);
    if (it == seq.clocks.end()) {
        d.errors << QStringLiteral("clock %1 used before a snapshot defined it").arg(clockId);
        return timestamp;
    }
    SequenceState::Clock& c = it->second;
    d.incrementalTimestamps += c.incremental;
    const std::int64_t value = c.incremental ? (c.value += timestamp) : timestamp;
    return c.bootTime + (value - c.reading);
}

void readDescriptor(std::string_view bytes, Decoded& d)
{
    std::uint64_t uuid = 0;
    std::string name;
    std::string_view process, thread;
    bool counter = false;
    std::uint64_t parent = 0;
    Reader r(bytes);
    for (Field f; r.next(&f);) {
        if (f.number == 1)
            uuid = f.value;
        else if (f.number == 2)
            name = std::string(f.bytes);
        else if (f.number == 3)
            process = f.bytes;
        else if (f.number == 4)
            thread = f.bytes;
        else if (f.number == 5)
            parent = f.value;
        else if (f.number == 8)
            counter = true;
    }
    std::int64_t pid = 0, tid = 0;
    std::string kindName;
    for (const std::string_view kind : { process, thread }) {
        Reader k(kind);
        for (Field f; k.next(&f);) {
            if (f.number == 1)
                pid = std::int64_t(f.value);
            else if (f.number == 2 && kind.data() == thread.data())
                tid = std::int64_t(f.value);
            else if ((f.number == 6 && kind.data() == process.data())
                || (f.number == 5 && kind.data() == thread.data()))
                kindName = std::string(f.bytes);
        }
    }
    if (!process.empty())
        d.processes[pid] = kindName;
    if (!thread.empty()) {
        d.threads[uuid] = { pid, tid };
        d.threadNames[uuid] = kindName;
    }
    if (counter)
        d.counterTracks[uuid] = name;
    else if (process.empty() && thread.empty())
        d.namedTracks[uuid] = { name, parent };
}

void readEvent(std::string_view bytes, std::int64_t time, const SequenceState& seq, Decoded& d)
{
    int type = 0;
    std::uint64_t track = seq.defaultTrack;
    std::string name;
    std::int64_t annotation = -1;
    std::map<std::string, std::string> text;
    Reader r(bytes);
    for (Field f; r.next(&f);) {
        if (f.number == 9)
            type = int(f.value);
        else if (f.number == 11)
            track = f.value;
        else if (f.number == 23)
            name = std::string(f.bytes);
        else if (f.number == 10) {
            const auto it = seq.eventNames.find(f.value);
            if (it == seq.eventNames.end())
                d.errors << QStringLiteral("name iid %1 used before it was interned").arg(f.value);
            else
                name = it->second;
        } else if (f.number == 4) {
            Reader a(f.bytes);
            std::string annotationName;
            for (Field af; a.next(&af);) {
                if (af.number == 1 && !seq.annotationNames.count(af.value))
                    d.errors << QStringLiteral("annotation name iid %1 not interned").arg(af.value);
                else if (af.number == 1)
                    annotationName = seq.annotationNames.at(af.value);
                if (af.number == 4)
                    annotation = std::int64_t(af.value);
                if (af.number == 6)
                    text[annotationName] = std::string(af.bytes);
            }
        }
    }
    auto& slices = d.slices[track];
    const bool open = !slices.empty() && slices.back().end < 0;
    if (type == 1) {
        if (open)
            d.errors << QStringLiteral("a slice begins inside another on track %1").arg(track);
        slices.push_back({ time, -1, name, annotation, text });
    } else if (type == 2) {
        if (!open)
            d.errors << QStringLiteral("a slice ends that did not begin on track %1").arg(track);
        else
            slices.back().end = time;
    } else if (type == 3) {
        d.instants.push_back({ track, time, name, annotation });
    } else if (type == 4) {
        ++d.counterValues[track];
    }
}

Decoded decode(std::string_view file)
{
    Decoded d;
    std::map<std::uint64_t, SequenceState> sequences;
    Reader trace(file);
    for (Field packet; trace.next(&packet);) {
        if (packet.number != 1 || packet.type != Bytes) {
            d.errors << QStringLiteral("Trace has a field %1 that is not a packet").arg(packet.number);
            continue;
        }
        ++d.packets;
        std::uint64_t sequenceId = 0, flags = 0, clockId = 0;
        std::int64_t time = -1;
        std::string_view event, interned, defaults, descriptor, snapshot;
        Reader r(packet.bytes);
        for (Field f; r.next(&f);) {
            switch (f.number) {
            case 8:
                time = std::int64_t(f.value);
                break;
            case 10:
                sequenceId = f.value;
                break;
            case 13:
                flags = f.value;
                break;
            case 58:
                clockId = f.value;
                break;
            case 6:
                snapshot = f.bytes;
                break;
            case 11:
                event = f.bytes;
                break;
            case 12:
                interned = f.bytes;
                break;
            case 59:
                defaults = f.bytes;
                break;
            case 60:
                descriptor = f.bytes;
                break;
            }
        }
        if (r.failed())
            d.errors << QStringLiteral("malformed packet %1").arg(d.packets);
        if (sequenceId == 0)
            d.errors << QStringLiteral("packet %1 has no trusted_packet_sequence_id").arg(d.packets);
        SequenceState& seq = sequences[sequenceId];
        const std::uint64_t expectedFlags = seq.started ? 2 : 1; // NEEDS_INCREMENTAL_STATE, then STATE_CLEARED
        if (flags != expectedFlags)
            d.errors << QStringLiteral("packet %1 on sequence %2 has flags %3, not %4")
                            .arg(d.packets)
                            .arg(sequenceId)
                            .arg(flags)
                            .arg(expectedFlags);
        seq.started = true;
        if (!defaults.empty()) {
            Reader def(defaults);
            for (Field f; def.next(&f);)
                if (f.number == 58)
                    seq.defaultClock = f.value;
                else if (f.number == 11) // track_event_defaults
                    for (Reader te(f.bytes); te.next(&f);)
                        if (f.number == 11)
                            seq.defaultTrack = f.value;
        }
        if (!snapshot.empty())
            readClockSnapshot(snapshot, seq, d);
        if (time >= 0)
            time = traceTime(time, clockId ? clockId : seq.defaultClock, seq, d);
        readInterned(interned, seq);
        if (!descriptor.empty())
            readDescriptor(descriptor, d);
        if (!event.empty()) {
            if (time < 0)
                d.errors << QStringLiteral("track event without a timestamp");
            // trace_processor sorts by time: an end written after the next begin's time would nest them.
            if (time < seq.lastTime)
                d.errors << QStringLiteral("time goes back on sequence %1 at packet %2").arg(sequenceId).arg(d.packets);
            seq.lastTime = std::max(seq.lastTime, time);
            readEvent(event, time, seq, d);
        }
    }
    if (trace.failed())
        d.errors << QStringLiteral("the Trace is cut short or malformed");
    return d;
}

QByteArray perfettoBytes(const Trace& trace)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    if (!writePerfettoTrace(trace, buffer))
        return {};
    return buffer.data();
}

std::string expectedName(const Trace& trace, const Span& s)
{
    if (s.state == LaneState::NoData)
        return "events lost";
    const QString lock = exportLockName(trace, s.lock);
    return (lock.isEmpty() ? laneStateName(s.state) : laneStateName(s.state) + QStringLiteral(": ") + lock)
        .toStdString();
}

} // namespace

class TestPerfetto : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void protocDecodesTheFile();
    void readerGivesBackEverySpan();
    void childProcessesAreProcessesWithTheirRealPids();
    void marksDeathsAndGapsArePresent();
    void holdsAndPhasesArePresent();
    void aLossIsOneGapAndLostSwitchRecordsLeaveTheCpuUnknown();

private:
    std::shared_ptr<const Trace> m_trace;
    QByteArray m_file;
};

void TestPerfetto::initTestCase()
{
    m_trace = test::runScenario(QStringLiteral("race-counter"),
        { QStringLiteral("workers=3"), QStringLiteral("increments=2000"), QStringLiteral("lock=mutex") })
                  .trace;
    m_file = perfettoBytes(*m_trace);
    QVERIFY(!m_file.isEmpty());
}

// protoc, knowing nothing of Perfetto's schema, reads the file as one well-formed message: every packet a
// field 1 of the Trace, as many as our reader counts.
void TestPerfetto::protocDecodesTheFile()
{
    const QString protoc = QStandardPaths::findExecutable(QStringLiteral("protoc"));
    QVERIFY2(!protoc.isEmpty(), "protoc not found: installer/install-deps.sh installs protobuf-compiler");
    QTemporaryFile file;
    QVERIFY(file.open());
    file.write(m_file);
    file.seek(0);
    QProcess decoder;
    decoder.setStandardInputFile(file.fileName());
    decoder.start(protoc, { QStringLiteral("--decode_raw") });
    QVERIFY(decoder.waitForFinished(-1));
    const QByteArray text = decoder.readAllStandardOutput();
    QCOMPARE(decoder.exitStatus(), QProcess::NormalExit);
    QVERIFY2(decoder.exitCode() == 0, decoder.readAllStandardError().constData());
    std::size_t packets = 0;
    for (const QByteArray& line : text.split('\n'))
        packets += line == "1 {";
    const Decoded d = decode(std::string_view(m_file.constData(), std::size_t(m_file.size())));
    QCOMPARE(packets, d.packets);
    QVERIFY(packets > 3 * 2000);
}

void TestPerfetto::readerGivesBackEverySpan()
{
    const Decoded d = decode(std::string_view(m_file.constData(), std::size_t(m_file.size())));
    QVERIFY2(d.errors.isEmpty(), qPrintable(d.errors.mid(0, 5).join(u'\n')));
    const auto lanes = buildSpans(*m_trace);
    const std::int64_t zero = perfettoTimeZero(*m_trace);
    QCOMPARE(d.threads.size(), lanes.size());
    std::size_t compared = 0;
    bool sawLockName = false;
    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        const std::uint64_t track = lane + 1;
        QCOMPARE(d.threadNames.at(track), m_trace->workers[lane].name.toStdString());
        const auto& got = d.slices.count(track) ? d.slices.at(track) : std::vector<Decoded::Slice>();
        QCOMPARE(got.size(), lanes[lane].spans.size());
        std::size_t i = 0;
        for (const Span& s : lanes[lane].spans) {
            const Decoded::Slice& g = got[i++];
            QCOMPARE(g.start, s.start - zero);
            QCOMPARE(g.end, s.end - zero);
            QCOMPARE(g.name, expectedName(*m_trace, s));
            sawLockName |= g.name.find(": ") != std::string::npos;
            ++compared;
        }
    }
    QVERIFY(compared > 3 * 2000);
    QVERIFY(sawLockName); // the mutex's holds and waits name it
    QVERIFY(d.incrementalTimestamps >= 2 * compared); // every begin and end: the lanes' clocks were read
    // Every run counter is a counter track with its samples.
    QCOMPARE(d.counterTracks.size(), m_trace->counterNames.size());
    std::size_t samples = 0;
    for (const auto& [track, n] : d.counterValues)
        samples += d.counterTracks.count(track) ? n : 0;
    QCOMPARE(samples, m_trace->counterSamples.size());
}

void TestPerfetto::childProcessesAreProcessesWithTheirRealPids()
{
    const RunOutcome o = test::runScenario(
        QStringLiteral("child-processes"), { QStringLiteral("work_ms=300"), QStringLiteral("kill_one=true") });
    const QByteArray bytes = perfettoBytes(*o.trace);
    const Decoded d = decode(std::string_view(bytes.constData(), std::size_t(bytes.size())));
    QVERIFY2(d.errors.isEmpty(), qPrintable(d.errors.mid(0, 5).join(u'\n')));
    std::set<std::int64_t> summaryPids;
    for (const auto& p : summaryJson(o)[u"processes"].toArray())
        summaryPids.insert(p[u"pid"].toInteger());
    QCOMPARE(summaryPids.size(), std::size_t(4)); // ThreadLab and its three children
    std::set<std::int64_t> tracePids;
    for (const auto& [pid, name] : d.processes) {
        tracePids.insert(pid);
        QVERIFY(QString::fromStdString(name).contains(QString::number(pid)));
    }
    QCOMPARE(tracePids, summaryPids);
    std::set<std::int64_t> lanePids; // each child's lane is a thread of its own process
    for (const auto& [uuid, ids] : d.threads)
        lanePids.insert(ids.first);
    QCOMPARE(lanePids, summaryPids);

    // The killed child's death, and every other end, as instants on its lane.
    int killed = 0;
    for (const auto& i : d.instants)
        killed += i.name == "killed by SIGKILL";
    QCOMPARE(killed, 1);
}

void TestPerfetto::marksDeathsAndGapsArePresent()
{
    // Marks: the failures scenario marks each task's start with its number.
    const RunOutcome failures = test::runScenario(QStringLiteral("failures"),
        { QStringLiteral("tasks=6"), QStringLiteral("task_ms=1"), QStringLiteral("hang_rate=0") });
    QByteArray bytes = perfettoBytes(*failures.trace);
    Decoded d = decode(std::string_view(bytes.constData(), std::size_t(bytes.size())));
    QVERIFY2(d.errors.isEmpty(), qPrintable(d.errors.mid(0, 5).join(u'\n')));
    std::set<std::int64_t> taskMarks;
    for (const auto& i : d.instants)
        if (i.name == "mark")
            taskMarks.insert(i.value);
    QCOMPARE(taskMarks, (std::set<std::int64_t> { 0, 1, 2, 3, 4, 5 }));

    // Gaps: rings far too small lose events; each gap is an "events lost" slice carrying the count.
    qputenv("THREADLAB_RING_EVENTS", "1024");
    const RunOutcome lossy = test::runScenario(QStringLiteral("race-counter"),
        { QStringLiteral("workers=2"), QStringLiteral("increments=300000"), QStringLiteral("lock=none") });
    qunsetenv("THREADLAB_RING_EVENTS");
    QVERIFY2(lossy.trace->droppedEvents > 0, "1024-event rings kept up with 1.2 M events");
    bytes = perfettoBytes(*lossy.trace);
    d = decode(std::string_view(bytes.constData(), std::size_t(bytes.size())));
    QVERIFY2(d.errors.isEmpty(), qPrintable(d.errors.mid(0, 5).join(u'\n')));
    std::uint64_t lost = 0;
    std::size_t gapSlices = 0;
    for (const auto& [track, slices] : d.slices)
        for (const auto& s : slices)
            if (s.name == "events lost") {
                ++gapSlices;
                QVERIFY(s.lostEvents > 0);
                lost += std::uint64_t(s.lostEvents);
            }
    std::size_t gapsInTrace = 0;
    for (const auto& lane : buildSpans(*lossy.trace))
        for (const Span& s : lane.spans)
            gapsInTrace += s.state == LaneState::NoData;
    QVERIFY(gapSlices > 0);
    QCOMPARE(gapSlices, gapsInTrace);
    QVERIFY(lost <= lossy.trace->droppedEvents); // zero-width gaps (lost at a lane's start) have no slice
}

// A worker that sleeps while holding "counter", in a run of two phases: the sleep's slice says what it is
// still inside (the strip along the lane's bottom), and the phases are slices of the run's own "phases" track.
void TestPerfetto::holdsAndPhasesArePresent()
{
    Trace trace;
    trace.scenario = QStringLiteral("hand-made");
    trace.lockNames = { QString(), QStringLiteral("counter") };
    trace.startNs = 1'000'000;
    trace.endNs = 1'000'000 + 900;
    trace.workers.push_back({ QStringLiteral("worker-1"), QStringLiteral("ThreadLab"), 4242, 4243 });
    ChunkedVector<Event> lane;
    const std::int64_t t = trace.startNs;
    lane.push_back({ t + 100, 0, 0, 0, EventKind::Started });
    lane.push_back({ t + 200, 1, 1, 0, EventKind::LockAcquired });
    lane.push_back({ t + 300, 0, 0, 0, EventKind::Sleeping });
    lane.push_back({ t + 500, 0, 0, 0, EventKind::Running });
    lane.push_back({ t + 600, 0, 1, 0, EventKind::LockReleased });
    lane.push_back({ t + 800, 0, 0, 0, EventKind::Finished });
    trace.lanes.push_back(std::move(lane));
    trace.phases = { { t + 50, t + 400, QStringLiteral("first") }, { t + 400, INT64_MAX, QStringLiteral("second") } };

    const QByteArray bytes = perfettoBytes(trace);
    const Decoded d = decode(std::string_view(bytes.constData(), std::size_t(bytes.size())));
    QVERIFY2(d.errors.isEmpty(), qPrintable(d.errors.mid(0, 5).join(u'\n')));
    const auto& slices = d.slices.at(1);
    const auto sleep = std::find_if(slices.begin(), slices.end(), [](const auto& s) { return s.name == "sleeping"; });
    QVERIFY(sleep != slices.end());
    QCOMPARE(sleep->start, std::int64_t(300));
    QCOMPARE(sleep->text.at("inside"), insideName(LaneState::LockHeld).toStdString());
    QCOMPARE(sleep->text.at("inside_lock"), std::string("counter"));
    for (const auto& s : slices)
        if (s.name != "sleeping")
            QVERIFY(s.text.empty());

    QCOMPARE(d.namedTracks.size(), std::size_t(1));
    const auto& [phasesTrack, named] = *d.namedTracks.begin();
    QCOMPARE(named.first, std::string("phases"));
    QCOMPARE(d.processes.at(4242), std::string(exportIdentity(trace).processes.front().name.toStdString()));
    const auto& phases = d.slices.at(phasesTrack);
    QCOMPARE(phases.size(), std::size_t(2));
    QCOMPARE(phases[0].name, std::string("first"));
    QCOMPARE(phases[0].start, std::int64_t(50));
    QCOMPARE(phases[0].end, std::int64_t(400));
    QCOMPARE(phases[1].name, std::string("second"));
    QCOMPARE(phases[1].end, std::int64_t(900)); // a phase still open at the end lasts to the run's end
}

// The recorded losses of LossFixture, as a Perfetto reader gets them (the JSON and CSVs: tst_exporters).
void TestPerfetto::aLossIsOneGapAndLostSwitchRecordsLeaveTheCpuUnknown()
{
    using Fixture = test::LossFixture;
    const Trace trace = Fixture::trace();
    const QByteArray bytes = perfettoBytes(trace);
    const Decoded d = decode(std::string_view(bytes.constData(), std::size_t(bytes.size())));
    QVERIFY2(d.errors.isEmpty(), qPrintable(d.errors.mid(0, 5).join(u'\n')));
    const std::int64_t shift = perfettoTimeZero(trace) - trace.startNs; // Perfetto's zero: the first event
    std::vector<Fixture::Slice> slices;
    for (std::size_t lane = 0; lane < 2; ++lane)
        for (const Decoded::Slice& s : d.slices.at(lane + 1)) {
            const auto inside = s.text.find("inside");
            slices.push_back({ lane, s.start + shift, s.end + shift, s.name == "events lost",
                inside != s.text.end() && inside->second.find("CPU unknown") != std::string::npos });
        }
    const QString wrong = Fixture::wrongIn(slices);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
}

QTEST_GUILESS_MAIN(TestPerfetto)
#include "tst_perfetto.moc"
