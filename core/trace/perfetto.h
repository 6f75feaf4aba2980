#pragma once

#include "trace.h"

#include <cstdint>
#include <string>
#include <string_view>

class QIODevice;

namespace tl {

// Perfetto's native protobuf trace (ui.perfetto.dev, trace_processor): a Trace of TracePackets with a
// TrackDescriptor per process and per lane, TrackEvent slices for the lanes' state spans (with `inside` and
// `inside_lock` where a span is inside a hold) and gaps, instants for marks and process ends, a counter track
// per run counter, and the run's phases as slices on a "phases" track of the run's process. Much smaller than the JSON
// and has no size limit in the viewers.
bool writePerfettoTrace(const Trace& trace, QIODevice& out);

// Where the file's timestamps count from: the run's start, or its first event if one came earlier (packet
// timestamps cannot be negative).
std::int64_t perfettoTimeZero(const Trace& trace);

// The protocol-buffer wire format, as far as the exporter needs it (and its tests, to read the file back).
namespace proto {

enum WireType : std::uint8_t { Varint = 0, Fixed64 = 1, Bytes = 2, Fixed32 = 5 };

// Inline and appended in one piece: two to five of these go into every packet.
inline void putVarint(std::string& out, std::uint64_t v)
{
    char bytes[10];
    std::size_t n = 0;
    for (; v >= 0x80; v >>= 7)
        bytes[n++] = char((v & 0x7f) | 0x80);
    bytes[n++] = char(v);
    out.append(bytes, n);
}
inline void putTag(std::string& out, int field, WireType type)
{
    putVarint(out, std::uint64_t(field) << 3 | type);
}
// int32/int64/uint64/enum/bool fields: negative numbers as their 64-bit two's complement, as protobuf does.
inline void putInt(std::string& out, int field, std::int64_t v)
{
    putTag(out, field, Varint);
    putVarint(out, std::uint64_t(v));
}
inline void putBytes(std::string& out, int field, std::string_view bytes)
{
    putTag(out, field, Bytes);
    putVarint(out, bytes.size());
    out.append(bytes);
}

// One field as read back: its number and type, and its value (varint) or payload (length-delimited).
struct Field {
    int number = 0;
    WireType type = Varint;
    std::uint64_t value = 0;
    std::string_view bytes;
};

// Walks the fields of one message; stops (next() false, failed() true) at malformed input.
class Reader {
public:
    explicit Reader(std::string_view message)
        : m_rest(message)
    {
    }
    bool next(Field* field);
    bool failed() const { return m_failed; }

private:
    bool varint(std::uint64_t* v);
    std::string_view m_rest;
    bool m_failed = false;
};

} // namespace proto
} // namespace tl
