#include "format.h"

#include <cmath>

namespace tl {

QString groupedNumber(qint64 n)
{
    QString digits = QString::number(std::abs(n));
    for (auto i = digits.size() - 3; i > 0; i -= 3)
        digits.insert(i, QChar(0x202F)); // narrow no-break space
    return n < 0 ? u'-' + digits : digits;
}

QString percent(double share)
{
    return QStringLiteral("%1%").arg(share * 100, 0, 'f', share < 0.1 ? 1 : 0);
}

QString formatDuration(double ns)
{
    const double a = std::abs(ns);
    if (a < 1e3)
        return QStringLiteral("%1 ns").arg(ns, 0, 'f', 0);
    if (a < 1e6)
        return QStringLiteral("%1 µs").arg(ns / 1e3, 0, 'g', 4);
    if (a < 1e9)
        return QStringLiteral("%1 ms").arg(ns / 1e6, 0, 'g', 4);
    return QStringLiteral("%1 s").arg(ns / 1e9, 0, 'g', 4);
}

} // namespace tl
