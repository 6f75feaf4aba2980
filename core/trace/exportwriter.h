#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

class QIODevice;

namespace tl {

// Builds output in a string and hands it to the device in large pieces; exports can hold millions of rows.
class ExportWriter {
public:
    explicit ExportWriter(QIODevice& out);
    ~ExportWriter() { flush(); }
    ExportWriter& operator<<(std::string_view s)
    {
        m_buf.append(s);
        if (m_buf.size() >= kFlushAt)
            flush();
        return *this;
    }
    ExportWriter& operator<<(std::int64_t v);
    ExportWriter& micros(std::int64_t ns); // microseconds with nanosecond precision, as Chrome traces expect
    bool flush();
    // Gives up (flush() false, nothing more written) once the output would pass `bytes`.
    void setLimit(std::uint64_t bytes) { m_limit = bytes; }
    bool overLimit() const { return m_overLimit; }
    std::uint64_t written() const { return m_written + m_buf.size(); }

private:
    static constexpr std::size_t kFlushAt = 1 << 20;
    QIODevice& m_out;
    std::string m_buf;
    bool m_ok = true;
    bool m_overLimit = false;
    std::uint64_t m_written = 0;
    std::uint64_t m_limit = UINT64_MAX;
};

} // namespace tl
