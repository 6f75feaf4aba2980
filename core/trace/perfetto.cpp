#include "perfetto.h"

#include "exportnames.h"
#include "exportwriter.h"
#include "spans.h"

#include <QIODevice>
#include <map>

namespace tl {

namespace proto {

bool Reader::varint(std::uint64_t* v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && !m_rest.empty(); shift += 7) {
        const auto byte = std::uint8_t(m_rest.front());
        m_rest.remove_prefix(1);
        *v |= std::uint64_t(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

bool Reader::next(Field* field)
{
    if (m_rest.empty() || m_failed)
        return false;
    std::uint64_t key = 0;
    m_failed = !varint(&key);
    if (m_failed)
        return false;
    field->number = int(key >> 3);
    field->type = WireType(key & 7);
    field->bytes = {};
    switch (field->type) {
    case Varint:
        m_failed = !varint(&field->value);
        break;
    case Bytes:
        m_failed = !varint(&field->value) || field->value > m_rest.size();
        if (!m_failed) {
            field->bytes = m_rest.substr(0, std::size_t(field->value));
            m_rest.remove_prefix(std::size_t(field->value));
        }
        break;
    case Fixed64:
    case Fixed32: {
        const std::size_t n = field->type == Fixed64 ? 8 : 4;
        m_failed = m_rest.size() < n;
        if (!m_failed) {
            field->bytes = m_rest.substr(0, n);
            m_rest.remove_prefix(n);
        }
        break;
    }
    default:
        m_failed = true;
    }
    return !m_failed;
}

} // namespace proto

namespace {

using namespace proto;

// Field numbers from Perfetto's protos/perfetto/trace/ (trace.proto, trace_packet.proto, track_event/*.proto,
// interned_data/interned_data.proto, trace_packet_defaults.proto).
constexpr int kTracePacket = 1; // Trace.packet
constexpr int kPacketTimestamp = 8;
constexpr int kPacketClockSnapshot = 6;
constexpr int kPacketTimestampClockId = 58;
constexpr int kPacketSequenceId = 10; // trusted_packet_sequence_id
constexpr int kPacketTrackEvent = 11;
constexpr int kPacketInternedData = 12;
constexpr int kPacketSequenceFlags = 13;
constexpr int kPacketDefaults = 59; // trace_packet_defaults
constexpr int kPacketTrackDescriptor = 60;
constexpr int kDefaultsTrackEvent = 11; // TracePacketDefaults.track_event_defaults
constexpr int kDefaultsTimestampClockId = 58;
constexpr int kSnapshotClock = 1; // ClockSnapshot.clocks
constexpr int kClockId = 1, kClockTimestamp = 2, kClockIsIncremental = 3; // ClockSnapshot.Clock
constexpr std::uint32_t kBootTime = 6; // BuiltinClock BOOTTIME: the trace's clock, where packets name none
constexpr std::uint32_t kLaneClock = 64; // the first sequence-scoped clock id
constexpr int kTrackEventDefaultsTrackUuid = 11;
constexpr int kTrackUuid = 1, kTrackName = 2, kTrackProcess = 3, kTrackThread = 4, kTrackParent = 5,
              kTrackCounter = 8; // TrackDescriptor
constexpr int kProcessPid = 1, kProcessName = 6; // ProcessDescriptor
constexpr int kThreadPid = 1, kThreadTid = 2, kThreadName = 5; // ThreadDescriptor
constexpr int kEventAnnotations = 4, kEventType = 9, kEventNameIid = 10, kEventTrackUuid = 11,
              kEventCounterValue = 30; // TrackEvent
constexpr int kAnnotationNameIid = 1, kAnnotationInt = 4, kAnnotationString = 6; // DebugAnnotation
constexpr int kInternedEventNames = 2, kInternedAnnotationNames = 3; // InternedData
constexpr int kInternedIid = 1, kInternedName = 2; // EventName, DebugAnnotationName
constexpr std::uint32_t kIncrementalStateCleared = 1, kNeedsIncrementalState = 2; // TracePacket.SequenceFlags
enum TrackEventType { SliceBegin = 1, SliceEnd = 2, Instant = 3, Counter = 4 };

// Debug annotation names, interned on every lane's sequence.
enum AnnotationName : std::uint64_t { kLostEvents = 1, kMarkValue, kExitValue, kInside, kInsideLock };

std::string utf8(const QString& s)
{
    return s.toStdString();
}

// Frames packets into the Trace. Each sequence's first packet clears its incremental state (interned names,
// defaults); every later packet says it depends on it, so a reader that lost the start skips them.
class PacketStream {
public:
    explicit PacketStream(QIODevice& out)
        : m_out(out)
    {
    }
    void packet(std::uint32_t sequence, std::string_view body)
    {
        begin(sequence);
        m_packet.append(body);
        end();
    }
    // A TrackEvent at `time` on the sequence's clock, or on `clock` if given, with `interned` (an
    // InternedData body) if it introduces names. Built in place: two of these are written per span.
    void event(std::uint32_t sequence, std::int64_t time, std::string_view event, std::string_view interned = {},
        std::uint32_t clock = 0)
    {
        begin(sequence);
        putInt(m_packet, kPacketTimestamp, time);
        if (clock)
            putInt(m_packet, kPacketTimestampClockId, clock);
        if (!interned.empty())
            putBytes(m_packet, kPacketInternedData, interned);
        putBytes(m_packet, kPacketTrackEvent, event);
        end();
    }
    bool flush() { return m_out.flush(); }

private:
    void begin(std::uint32_t sequence)
    {
        if (sequence >= m_started.size())
            m_started.resize(sequence + 1, false);
        m_packet.clear();
        putInt(m_packet, kPacketSequenceId, sequence);
        putInt(m_packet, kPacketSequenceFlags, m_started[sequence] ? kNeedsIncrementalState : kIncrementalStateCleared);
        m_started[sequence] = true;
    }
    void end()
    {
        m_frame.clear();
        putTag(m_frame, kTracePacket, Bytes);
        putVarint(m_frame, m_packet.size());
        m_out << m_frame << m_packet;
    }
    ExportWriter m_out;
    std::vector<bool> m_started;
    std::string m_packet, m_frame;
};

std::string descriptorPacket(std::string_view track)
{
    std::string body;
    putBytes(body, kPacketTrackDescriptor, track);
    return body;
}

std::string internedName(int field, std::uint64_t iid, std::string_view name)
{
    std::string entry;
    putInt(entry, kInternedIid, std::int64_t(iid));
    putBytes(entry, kInternedName, name);
    std::string out;
    putBytes(out, field, entry);
    return out;
}

std::string intAnnotation(AnnotationName name, std::int64_t value)
{
    std::string a;
    putInt(a, kAnnotationNameIid, std::int64_t(name));
    putInt(a, kAnnotationInt, value);
    std::string out;
    putBytes(out, kEventAnnotations, a);
    return out;
}

std::string stringAnnotation(AnnotationName name, const QString& value)
{
    std::string a;
    putInt(a, kAnnotationNameIid, std::int64_t(name));
    putBytes(a, kAnnotationString, utf8(value));
    std::string out;
    putBytes(out, kEventAnnotations, a);
    return out;
}

// What a span is still inside while in its state (a lock it holds while it waits, as the strip along the
// lane's bottom shows), as the JSON's `inside` and `inside_lock` args.
std::string insideAnnotations(const Trace& trace, const Span& s)
{
    if (s.inside == LaneState::Running)
        return {};
    std::string out = stringAnnotation(kInside, insideName(s.inside));
    if (const QString lock = exportLockName(trace, s.insideLock); !lock.isEmpty())
        out += stringAnnotation(kInsideLock, lock);
    return out;
}

// Event names, numbered once for the whole trace; each sequence interns a name the first time it uses it.
class EventNames {
public:
    std::uint64_t iid(const std::string& name)
    {
        const auto [it, isNew] = m_iids.try_emplace(name, m_names.size() + 1);
        if (isNew)
            m_names.push_back(name);
        return it->second;
    }
    const std::string& name(std::uint64_t iid) const { return m_names[iid - 1]; }

private:
    std::map<std::string, std::uint64_t> m_iids;
    std::vector<std::string> m_names;
};

std::string clockReading(std::uint32_t clock, std::int64_t time, bool incremental)
{
    std::string reading;
    putInt(reading, kClockId, clock);
    putInt(reading, kClockTimestamp, time);
    if (incremental)
        putInt(reading, kClockIsIncremental, 1);
    std::string out;
    putBytes(out, kSnapshotClock, reading);
    return out;
}

// One lane's events on its own sequence, whose defaults are the lane's track and a clock of the sequence's
// own that counts from the previous packet: no event repeats its track, and a timestamp takes the 1 to 3
// bytes of the time since the lane's last event instead of the 5 of the time since the run's start.
class LaneSequence {
public:
    LaneSequence(PacketStream& stream, const EventNames& names, std::uint32_t sequence, std::uint64_t trackUuid)
        : m_stream(stream)
        , m_names(names)
        , m_sequence(sequence)
    {
        std::string trackDefaults, defaults, body;
        putInt(trackDefaults, kTrackEventDefaultsTrackUuid, std::int64_t(trackUuid));
        putBytes(defaults, kDefaultsTrackEvent, trackDefaults);
        putInt(defaults, kDefaultsTimestampClockId, kLaneClock);
        putBytes(body, kPacketDefaults, defaults);
        const std::string interned = internedName(kInternedAnnotationNames, kLostEvents, "lost_events")
            + internedName(kInternedAnnotationNames, kMarkValue, "value")
            + internedName(kInternedAnnotationNames, kExitValue, "exit")
            + internedName(kInternedAnnotationNames, kInside, "inside")
            + internedName(kInternedAnnotationNames, kInsideLock, "inside_lock");
        putBytes(body, kPacketInternedData, interned);
        m_stream.packet(m_sequence, body);
        // The lane's clock reads 0 at the trace's 0; each packet's timestamp then adds to the last one's.
        std::string snapshot;
        putBytes(snapshot, kPacketClockSnapshot, clockReading(kLaneClock, 0, true) + clockReading(kBootTime, 0, false));
        m_stream.packet(m_sequence, snapshot);
    }
    void begin(std::int64_t time, std::uint64_t nameIid, std::string_view annotations = {})
    {
        named(time, SliceBegin, nameIid, annotations);
    }
    void end(std::int64_t time)
    {
        m_event.clear();
        putInt(m_event, kEventType, SliceEnd);
        write(time, {});
    }
    void instant(std::int64_t time, std::uint64_t nameIid, std::string_view annotations)
    {
        named(time, Instant, nameIid, annotations);
    }

private:
    void named(std::int64_t time, TrackEventType type, std::uint64_t iid, std::string_view annotations)
    {
        m_event.clear();
        putInt(m_event, kEventType, type);
        putInt(m_event, kEventNameIid, std::int64_t(iid));
        m_event.append(annotations);
        if (iid >= m_interned.size())
            m_interned.resize(iid + 1, false);
        const bool isNew = !m_interned[iid];
        m_interned[iid] = true;
        write(time, isNew ? internedName(kInternedEventNames, iid, m_names.name(iid)) : std::string());
    }
    // The lane's clock only counts forward; a time before the last (none is known to occur: spans and marks
    // go in time order) is written on the trace's clock instead, so it still lands where it happened.
    void write(std::int64_t time, std::string_view interned)
    {
        if (time < m_last) {
            m_stream.event(m_sequence, time, m_event, interned, kBootTime);
            return;
        }
        m_stream.event(m_sequence, time - m_last, m_event, interned);
        m_last = time;
    }
    PacketStream& m_stream;
    const EventNames& m_names;
    std::uint32_t m_sequence;
    std::vector<bool> m_interned; // by iid: already sent on this sequence
    std::string m_event;
    std::int64_t m_last = 0; // the lane clock's reading: the time of the last packet on it
};

} // namespace

std::int64_t perfettoTimeZero(const Trace& trace)
{
    return std::min(trace.startNs, trace.activeRange().first);
}

bool writePerfettoTrace(const Trace& trace, QIODevice& out)
{
    PacketStream stream(out);
    const ExportIdentity id = exportIdentity(trace);
    const auto lanes = buildSpans(trace);
    const std::int64_t zero = perfettoTimeZero(trace); // ns from the run's start, as in the JSON and CSV

    // Tracks: lanes 1..n, then counters, then processes. Sequence 1 carries them and the counter values.
    constexpr std::uint32_t kGlobalSequence = 1;
    const std::uint64_t firstCounterUuid = id.threads.size() + 1;
    const std::uint64_t firstProcessUuid = firstCounterUuid + trace.counterNames.size();
    // A track of a process or a thread: its uuid and what it describes.
    auto described = [](std::uint64_t uuid, int kindField, std::string_view kind) {
        std::string track;
        putInt(track, kTrackUuid, std::int64_t(uuid));
        putBytes(track, kindField, kind);
        return descriptorPacket(track);
    };
    std::string track, kind;
    for (std::size_t p = 0; p < id.processes.size(); ++p) {
        kind.clear();
        putInt(kind, kProcessPid, id.processes[p].pid);
        putBytes(kind, kProcessName, utf8(id.processes[p].name));
        stream.packet(kGlobalSequence, described(firstProcessUuid + p, kTrackProcess, kind));
    }
    for (std::size_t lane = 0; lane < id.threads.size(); ++lane) {
        kind.clear();
        putInt(kind, kThreadPid, id.threads[lane].pid);
        putInt(kind, kThreadTid, id.threads[lane].tid);
        putBytes(kind, kThreadName, utf8(id.threads[lane].name));
        stream.packet(kGlobalSequence, described(lane + 1, kTrackThread, kind));
    }
    for (std::size_t c = 0; c < trace.counterNames.size(); ++c) {
        track.clear();
        putInt(track, kTrackUuid, std::int64_t(firstCounterUuid + c));
        putBytes(track, kTrackName, utf8(trace.counterNames[c]));
        putInt(track, kTrackParent, std::int64_t(firstProcessUuid)); // under the run's own process
        putBytes(track, kTrackCounter, {});
        stream.packet(kGlobalSequence, descriptorPacket(track));
    }
    std::string event;
    for (const CounterSample& c : trace.counterSamples) {
        event.clear();
        putInt(event, kEventType, Counter);
        putInt(event, kEventTrackUuid, std::int64_t(firstCounterUuid + c.counter));
        putInt(event, kEventCounterValue, c.value);
        stream.event(kGlobalSequence, c.time - zero, event);
    }

    // Slice names: the state, and the lock where there is one ("waiting for lock: counter"), numbered once.
    EventNames names;
    std::vector<std::uint64_t> sliceIids(std::max<std::size_t>(trace.lockNames.size(), 1) * kLaneStateCount);
    for (std::size_t slot = 0; slot < sliceIids.size(); ++slot) {
        const auto state = LaneState(slot % kLaneStateCount);
        const QString lock = exportLockName(trace, std::uint16_t(slot / kLaneStateCount));
        const QString name = state == LaneState::NoData ? QStringLiteral("events lost")
            : lock.isEmpty()                            ? laneStateName(state)
                                                        : laneStateName(state) + QStringLiteral(": ") + lock;
        sliceIids[slot] = names.iid(utf8(name));
    }
    auto sliceIid = [&](const Span& s) {
        const std::size_t lock = s.lock < trace.lockNames.size() ? s.lock : 0;
        return sliceIids[lock * kLaneStateCount + std::size_t(s.state)];
    };
    const std::uint64_t markIid = names.iid("mark");

    for (std::size_t lane = 0; lane < lanes.size(); ++lane) {
        LaneSequence seq(stream, names, std::uint32_t(lane + 2), lane + 1);
        const auto& marks = lanes[lane].marks;
        std::size_t mark = 0;
        std::size_t gap = 0;
        // Marks go in time order between and inside the slices, so a sequence's timestamps never go back.
        auto marksUntil = [&](std::int64_t t) {
            for (; mark < marks.size() && marks[mark].time <= t; ++mark) {
                const LaneMark& m = marks[mark];
                const bool exited = m.kind == EventKind::Exited;
                seq.instant(m.time - zero, exited ? names.iid(exitText(m.value)) : markIid,
                    intAnnotation(exited ? kExitValue : kMarkValue, m.value));
            }
        };
        for (const Span& s : lanes[lane].spans) {
            marksUntil(s.start);
            seq.begin(s.start - zero, sliceIid(s),
                s.state == LaneState::NoData
                    ? intAnnotation(kLostEvents, std::int64_t(lostEventsIn(lanes[lane], s, gap)))
                    : insideAnnotations(trace, s));
            marksUntil(s.end - 1);
            seq.end(s.end - zero);
        }
        marksUntil(INT64_MAX);
    }

    // The run's phases: slices on a track of their own in the run's process, on the sequence after the lanes'.
    if (!trace.phases.empty()) {
        const std::uint64_t phasesUuid = firstProcessUuid + id.processes.size();
        track.clear();
        putInt(track, kTrackUuid, std::int64_t(phasesUuid));
        putBytes(track, kTrackName, "phases");
        putInt(track, kTrackParent, std::int64_t(firstProcessUuid));
        stream.packet(kGlobalSequence, descriptorPacket(track));
        std::vector<std::uint64_t> phaseIids;
        for (const Phase& phase : trace.phases)
            phaseIids.push_back(names.iid(utf8(phase.label)));
        LaneSequence seq(stream, names, std::uint32_t(lanes.size() + 2), phasesUuid);
        for (std::size_t p = 0; p < trace.phases.size(); ++p) {
            const Phase& phase = trace.phases[p];
            seq.begin(phase.start - zero, phaseIids[p]);
            seq.end((phase.end == INT64_MAX ? trace.endNs : phase.end) - zero);
        }
    }
    return stream.flush();
}

} // namespace tl
