#include "trace.h"

#include <QStringList>

namespace tl {

std::size_t Trace::eventCount() const
{
    return laneEventCount() + counterSamples.size();
}

std::size_t Trace::laneEventCount() const
{
    std::size_t n = 0;
    for (const auto& lane : lanes)
        n += lane.size();
    return n;
}

std::size_t Trace::storedBytes() const
{
    std::size_t bytes = 0;
    for (const auto& lane : lanes)
        bytes += lane.bytes();
    return bytes;
}

std::int64_t Trace::workerTimeNs() const
{
    std::int64_t ns = 0;
    for (const auto& lane : lanes)
        if (!lane.empty())
            ns += lane.back().time - lane.front().time;
    return ns;
}

std::pair<std::int64_t, std::int64_t> Trace::activeRange() const
{
    std::int64_t first = INT64_MAX;
    std::int64_t last = INT64_MIN;
    for (const auto& lane : lanes) {
        if (lane.empty())
            continue;
        first = std::min(first, lane.front().time);
        last = std::max(last, lane.back().time);
    }
    if (first > last)
        return { startNs, endNs };
    return { first, std::max(last, first + 1) };
}

QString Trace::paramsText() const
{
    QStringList parts;
    for (const auto& [name, value] : params)
        parts << name + QLatin1Char('=') + value;
    return parts.join(QStringLiteral(", "));
}

} // namespace tl
