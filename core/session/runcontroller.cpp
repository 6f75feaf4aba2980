#include "runcontroller.h"

#include "../scenarios/registry.h"

#include <QCoreApplication>
#include <QEvent>
#include <QPointer>

namespace tl {

namespace {
// The workers-done signal jumps the queue of batches (a posted event of high priority, where a queued call
// has normal): Run responds at once, even while the window still draws the batches before it (on a busy
// run, hundreds of milliseconds of them).
QEvent::Type workersDoneEventType()
{
    static const auto type = QEvent::Type(QEvent::registerEventType());
    return type;
}
struct WorkersDoneEvent : QEvent {
    explicit WorkersDoneEvent(const Run* run)
        : QEvent(workersDoneEventType())
        , run(run)
    {
    }
    const Run* run;
};
constinit HandOver workersDoneHandOver; // see invokeQueued: one per kind of hand-over, at a fixed address
}

RunController::RunController(QObject* parent)
    : QObject(parent)
{
    qRegisterMetaType<tl::TraceBatchPtr>();
    qRegisterMetaType<tl::RunOutcome>();
}

RunController::~RunController()
{
    discard();
    joinThread();
}

bool RunController::start(const QString& scenario, const ParamSet& params, QString* error)
{
    if (isRunning()) {
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
    return start(std::make_unique<ScenarioSource>(std::move(instance)), params, error);
}

bool RunController::start(std::unique_ptr<RunSource> source, const ParamSet& params, QString* error)
{
    if (isRunning()) {
        if (error)
            *error = QStringLiteral("a run is already going");
        return false;
    }
    if (isCompleting()) {
        m_run->discard();
        m_next = NextRun { std::move(source), params };
        return true;
    }
    launch(std::move(source), params);
    return true;
}

void RunController::launch(std::unique_ptr<RunSource> source, const ParamSet& params)
{
    joinThread();
    const QString name = source->info().name;
    m_run = std::make_unique<Run>(std::move(source), params);
    m_completing = false;
    // Batches and the outcome cross to this thread in queued calls, which Qt orders with a QMutex that
    // ThreadSanitizer cannot see; invokeQueued makes their hand-over visible, and drops them if the
    // controller is destroyed first. A discarded run's batches still queued are dropped here.
    Run* run = m_run.get();
    m_run->setBatchSink([this, run](const TraceBatchPtr& batch) {
        invokeQueued(this, [this, run, batch] {
            if (!run->discarded())
                emit batchReady(batch);
        });
    });
    m_run->setWorkersDoneHandler([this, run] {
        workersDoneHandOver.give(
            [&] { QCoreApplication::postEvent(this, new WorkersDoneEvent(run), Qt::HighEventPriority); });
    });
    m_thread.reset(QThread::create([this, run] {
        RunOutcome outcome = run->execute();
        if (run->discarded())
            outcome.trace.reset(); // its memory goes here, off the window's thread
        // The run thread's last step, under m_handOver, which joinThread() takes after QThread::wait().
        m_handOver.give([&] { invokeQueued(this, [this, outcome = std::move(outcome)] { onRunEnded(outcome); }); });
    }));
    m_thread->setObjectName(QStringLiteral("tl-run"));
    m_thread->start();
    emit started(name);
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

void RunController::customEvent(QEvent* event)
{
    if (event->type() != workersDoneEventType())
        return;
    workersDoneHandOver.take();
    const Run* run = static_cast<WorkersDoneEvent*>(event)->run;
    if (m_run.get() == run && !run->discarded()) {
        m_completing = true;
        emit workersDone();
    }
}

void RunController::discard()
{
    m_next.reset();
    if (m_run)
        m_run->discard();
}

void RunController::onRunEnded(const RunOutcome& outcome)
{
    joinThread();
    // Every thread of the run is joined by now. Report first, free after: the recorders' memory (up to
    // 192 MiB) takes a while to release, under sanitizers especially, and nobody needs to wait for that.
    const auto ended = std::move(m_run); // isRunning() is false for the slots below
    m_completing = false;
    if (std::optional<NextRun> next = std::exchange(m_next, std::nullopt))
        launch(std::move(next->source), next->params);
    else if (!ended->discarded())
        emit finished(outcome);
}

} // namespace tl
