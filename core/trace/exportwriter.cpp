#include "exportwriter.h"

#include <QIODevice>
#include <charconv>

namespace tl {

ExportWriter::ExportWriter(QIODevice& out)
    : m_out(out)
{
    m_buf.reserve(kFlushAt + 4096);
}

ExportWriter& ExportWriter::operator<<(std::int64_t v)
{
    char tmp[24];
    const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    return *this << std::string_view(tmp, std::size_t(r.ptr - tmp));
}

ExportWriter& ExportWriter::micros(std::int64_t ns)
{
    if (ns < 0) {
        *this << "-";
        ns = -ns;
    }
    *this << ns / 1000;
    const char frac[4] = { '.', char('0' + ns % 1000 / 100), char('0' + ns % 100 / 10), char('0' + ns % 10) };
    return *this << std::string_view(frac, 4);
}

bool ExportWriter::flush()
{
    if (m_written + m_buf.size() > m_limit)
        m_ok = false, m_overLimit = true;
    if (m_ok && !m_buf.empty() && m_out.write(m_buf.data(), qint64(m_buf.size())) != qint64(m_buf.size()))
        m_ok = false;
    m_written += m_buf.size();
    m_buf.clear();
    return m_ok;
}

} // namespace tl
