#pragma once

#include <session/run.h>

#include <QStatusBar>

#include <cstdint>

class QLabel;
class QProgressBar;

namespace tl::ui {

class RunDocument;

// The window's status bar: the run's state (with how far the live view lags behind), the events recorded
// and lost, what recording cost the workers and where off-CPU time came from, and a busy bar while live.
class StatusBarPanel : public QStatusBar {
    Q_OBJECT
public:
    explicit StatusBarPanel(RunDocument* document, QWidget* parent = nullptr);

    void showStopping();

private:
    void showBatch(const TraceBatchPtr& batch);
    void showCompleting(const TraceBatch& batch);
    void showFinished();
    void showEvents(std::uint64_t events, std::uint64_t dropped, const RecordingOverhead& overhead);

    RunDocument* m_document;
    QLabel* m_state;
    QLabel* m_events;
    QLabel* m_overhead;
    QProgressBar* m_progress;
    std::uint64_t m_completingFrom = 0; // events left to store when the workers were done
};

} // namespace tl::ui
