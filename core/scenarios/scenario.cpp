#include "scenario.h"

#include <stdexcept>

namespace tl {

int Scenario::runChild(const QString& role, ChildContext&)
{
    throw std::runtime_error("scenario " + info().name.toStdString() + " has no child role " + role.toStdString());
}

Gain gainOf(double speedup)
{
    return speedup >= kClearGain ? Gain::Clear : speedup <= kNoGain ? Gain::None : Gain::Unclear;
}

QString busyMachineAdvice()
{
    return QStringLiteral("other programs probably had the CPUs: close them, or run it again");
}

} // namespace tl
