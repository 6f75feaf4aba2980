#include "runcontroller.h"

#include "../scenarios/registry.h"

#include <QPointer>

namespace tl {

RunController::RunController(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<tl::TraceBatchPtr>();
    qRegisterMetaType<tl::RunOutcome>();
}

RunController::~RunController()
{
    stop();
    joinThread();
}

bool RunController::start(const QString& scenario, const ParamSet& params, QString* error)
{
    if (m_run) {
        if (error)
            *error = QStringLiteral("a run is already going");
        return false;
    }
    auto instance = createScenario(scenario);
    if (!instance) {
        if (error)
            *error = QStringLiteral("unknown scenario '%1'").arg(scenario);
        return false;
    }
    joinThread();
    m_run = std::make_unique<Run>(std::make_unique<ScenarioSource>(std::move(instance)), params);
    // Batches and the outcome cross to this thread in queued calls, which Qt orders with a QMutex that
    // ThreadSanitizer cannot see; invokeQueued makes their hand-over visible, and drops them if the
    // controller is destroyed first.
    m_run->setBatchSink(
        [this](const TraceBatchPtr& batch) { invokeQueued(this, [this, batch] { emit batchReady(batch); }); });
    Run* run = m_run.get();
    m_thread.reset(QThread::create([this, run] {
        RunOutcome outcome = run->execute();
        // The run thread's last step, under m_handOver, which joinThread() takes after QThread::wait().
        m_handOver.give([&] { invokeQueued(this, [this, outcome = std::move(outcome)] { onRunEnded(outcome); }); });
    }));
    m_thread->setObjectName(QStringLiteral("tl-run"));
    m_thread->start();
    emit started(scenario);
    return true;
}

void RunController::stop()
{
    if (m_run)
        m_run->requestStop();
}

void RunController::killProcess(std::int64_t pid)
{
    if (m_run)
        m_run->requestKill(pid);
}

bool RunController::setLive(const QString& name, std::int64_t value, QString* error)
{
    if (!m_run) {
        if (error)
            *error = QStringLiteral("no run is going");
        return false;
    }
    return m_run->setLive(name, value, error);
}

std::optional<std::int64_t> RunController::currentValue(const QString& name) const
{
    if (!m_run || m_run->context().params().indexOf(name) < 0)
        return std::nullopt;
    return m_run->context().value(name);
}

void RunController::waitForFinished()
{
    joinThread();
}

void RunController::joinThread()
{
    if (m_thread) {
        m_thread->wait();
        m_handOver.take(); // orders what the run thread did before the Run is freed here (see start())
        m_thread.reset();
    }
}

void RunController::onRunEnded(const RunOutcome& outcome)
{
    joinThread();
    // Every thread of the run is joined by now. Report first, free after: the recorders' memory (up to
    // 192 MiB) takes a while to release, under sanitizers especially, and nobody needs to wait for that.
    const auto ended = std::move(m_run); // isRunning() is false for the slots below
    emit finished(outcome);
}

} // namespace tl
