#include "scenario.h"

#include <cmath>
#include <stdexcept>

namespace tl {

int Scenario::runChild(const QString& role, ChildContext&)
{
    throw std::runtime_error("scenario " + info().name.toStdString() + " has no child role " + role.toStdString());
}

QString groupedNumber(qint64 n)
{
    QString digits = QString::number(std::abs(n));
    for (auto i = digits.size() - 3; i > 0; i -= 3)
        digits.insert(i, QChar(0x202F)); // narrow no-break space
    return n < 0 ? u'-' + digits : digits;
}

Gain gainOf(double speedup)
{
    return speedup >= kClearGain ? Gain::Clear : speedup <= kNoGain ? Gain::None : Gain::Unclear;
}

QString busyMachineAdvice()
{
    return QStringLiteral("other programs probably had the CPUs: close them, or run it again");
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
