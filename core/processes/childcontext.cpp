#include "childcontext.h"

#include "childblock.h"

#include <QFile>

namespace tl {

ChildContext::ChildContext(QStringList args, ChildBlock& block, Recorder& recorder)
    : m_args(std::move(args))
    , m_block(block)
    , m_recorder(recorder)
{
}

QByteArray ChildContext::readInput()
{
    m_recorder.record(EventKind::IoWait);
    QFile in;
    QByteArray data;
    if (in.open(stdin, QIODevice::ReadOnly))
        data = in.readAll();
    m_recorder.record(EventKind::Running);
    return data;
}

QString ChildContext::sharedKey(int index) const
{
    return qEnvironmentVariable("THREADLAB_SHARED_KEYS").split(u' ', Qt::SkipEmptyParts).value(index);
}

void ChildContext::setGauge(std::int64_t value)
{
    m_block.gauge.store(value, std::memory_order_relaxed);
}

} // namespace tl
