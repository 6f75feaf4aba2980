#include "childcontext.h"

#include "childblock.h"
#include "fdio.h"

#include <QFile>
#include <QJsonDocument>
#include <ctime>
#include <unistd.h>

namespace tl {

ChildContext::ChildContext(QStringList args, ChildBlock& block, Recorder& recorder)
    : m_args(std::move(args))
    , m_block(block)
    , m_recorder(recorder)
{
}

void ChildContext::inherit(QByteArray input, QStringList sharedKeys)
{
    m_inherited = std::move(input);
    m_sharedKeys = std::move(sharedKeys);
}

QByteArray ChildContext::readInput()
{
    if (m_inherited)
        return *m_inherited;
    m_recorder.record(EventKind::IoWait);
    QFile in;
    QByteArray data;
    if (in.open(stdin, QIODevice::ReadOnly))
        data = in.readAll();
    m_block.copiedBytes.fetch_add(data.size(), std::memory_order_relaxed);
    m_recorder.record(EventKind::Running);
    return data;
}

QString ChildContext::sharedKey(int index) const
{
    if (forked())
        return m_sharedKeys.value(index);
    return qEnvironmentVariable("THREADLAB_SHARED_KEYS").split(u' ', Qt::SkipEmptyParts).value(index);
}

void ChildContext::setGauge(std::int64_t value)
{
    m_block.gauge.store(value, std::memory_order_relaxed);
}

void ChildContext::reportForDuty(ChildBlock& block, Recorder& recorder)
{
    recorder.record(EventKind::Started);
    block.startedNs.store(clock::monotonicNs(), std::memory_order_relaxed);
}

int ChildContext::finish(int code)
{
    m_recorder.record(EventKind::Finished);
    timespec cpu {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    m_block.cpuNs.store(std::int64_t(cpu.tv_sec) * 1'000'000'000 + cpu.tv_nsec);
    const QByteArray report = QJsonDocument(m_report).toJson(QJsonDocument::Compact) + '\n';
    writeAll(STDOUT_FILENO, report.constData(), std::size_t(report.size()));
    return code;
}

} // namespace tl
