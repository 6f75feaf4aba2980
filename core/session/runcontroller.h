#pragma once

#include "../sync/handover.h"
#include "run.h"

#include <QObject>
#include <QThread>
#include <memory>
#include <optional>

namespace tl {

// Runs one scenario at a time off the calling (GUI) thread. Batches and the outcome arrive as queued
// signals on the controller's thread, one batch per collector tick, never one signal per event.
class RunController : public QObject {
    Q_OBJECT
public:
    explicit RunController(QObject* parent = nullptr);
    ~RunController() override; // stops and joins a run still going

    bool isRunning() const { return m_run != nullptr; }
    // False (with a reason) when a run is already going or the scenario is unknown.
    bool start(const QString& scenario, const ParamSet& params, QString* error = nullptr);
    void stop();
    // Kills one of the run's child processes (SIGKILL); it is shown as crashed and the run carries on.
    void killProcess(std::int64_t pid);
    bool setLive(const QString& name, std::int64_t value, QString* error = nullptr);
    // The value the running scenario's workers currently see for a parameter; nothing when idle.
    std::optional<std::int64_t> currentValue(const QString& name) const;
    // Blocks until the current run has ended (used on shutdown and in tests).
    void waitForFinished();

signals:
    void started(const QString& scenario);
    void batchReady(const tl::TraceBatchPtr& batch);
    void finished(const tl::RunOutcome& outcome);

private:
    void onRunEnded(const RunOutcome& outcome);
    void joinThread();

    std::unique_ptr<Run> m_run;
    // A QThread, not a std::thread: scenarios with child processes run QProcess on it, which needs the
    // thread's event dispatcher.
    std::unique_ptr<QThread> m_thread;
    HandOver m_handOver; // from the run thread's last step to joinThread()
};

} // namespace tl

Q_DECLARE_METATYPE(tl::TraceBatchPtr)
Q_DECLARE_METATYPE(tl::RunOutcome)
