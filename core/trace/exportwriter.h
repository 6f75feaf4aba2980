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

private:
    static constexpr std::size_t kFlushAt = 1 << 20;
    QIODevice& m_out;
    std::string m_buf;
    bool m_ok = true;
};

} // namespace tl
