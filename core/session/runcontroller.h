#pragma once

#include "../sync/handover.h"
#include "run.h"

#include <QObject>
#include <QThread>
#include <memory>
#include <optional>

namespace tl {

// Runs one source (a scenario, a traced program) at a time off the calling (GUI) thread. Batches and the outcome arrive
// as queued signals on the controller's thread, one batch per collector tick, never one signal per event.
class RunController : public QObject {
    Q_OBJECT
public:
    explicit RunController(QObject* parent = nullptr);
    ~RunController() override; // stops and joins a run still going

    // A run's workers are going (its picture may then still be completing: see workersDone).
    bool isRunning() const { return m_run != nullptr && !m_completing; }
    // The workers of the run are done and the rest of its events are being stored.
    bool isCompleting() const { return m_run != nullptr && m_completing; }
    // False (with a reason) when a run's workers are still going or the scenario is unknown. While the
    // previous run is completing, that run is discarded (no finished() for it) and this one starts as soon
    // as the previous one has let go of its threads and memory.
    bool start(const QString& scenario, const ParamSet& params, QString* error = nullptr);
    // The same for any source (a traced program, say).
    bool start(std::unique_ptr<RunSource> source, const ParamSet& params, QString* error = nullptr);
    void stop();
    // Stops the run and throws its trace away (no finished()): for a window that closes.
    void discard();
    // Kills one of the run's child processes (SIGKILL); it is shown as crashed and the run carries on.
    void killProcess(std::int64_t pid);
    bool setLive(const QString& name, std::int64_t value, QString* error = nullptr);
    // The value the running scenario's workers currently see for a parameter; nothing when idle.
    std::optional<std::int64_t> currentValue(const QString& name) const;
    // Blocks until the current run has ended (used on shutdown and in tests).
    void waitForFinished();

signals:
    void started(const QString& scenario);
    // The run's workers are done: a new run may start. Batches go on until finished(), as the collector
    // stores what the workers left (on a busy run, seconds of events), and the picture completes.
    void workersDone();
    void batchReady(const tl::TraceBatchPtr& batch);
    void finished(const tl::RunOutcome& outcome);

protected:
    void customEvent(QEvent* event) override;

private:
    void launch(std::unique_ptr<RunSource> source, const ParamSet& params);
    void onRunEnded(const RunOutcome& outcome);
    void joinThread();

    std::unique_ptr<Run> m_run;
    bool m_completing = false; // m_run's workers are done
    // The run start() was asked for while m_run, discarded, lets go of its threads and memory.
    struct NextRun {
        std::unique_ptr<RunSource> source;
        ParamSet params;
    };
    std::optional<NextRun> m_next;
    // A QThread, not a std::thread: scenarios with child processes run QProcess on it, which needs the
    // thread's event dispatcher.
    std::unique_ptr<QThread> m_thread;
    HandOver m_handOver; // from the run thread's last step to joinThread()
};

} // namespace tl

Q_DECLARE_METATYPE(tl::TraceBatchPtr)
Q_DECLARE_METATYPE(tl::RunOutcome)
