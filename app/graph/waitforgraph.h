#pragma once

#include <sync/lockregistry.h>
#include <trace/trace.h>

#include <QWidget>
#include <vector>

namespace tl::ui {

// The wait-for graph of a run's locks, live: workers (circles) and locks (boxes) in a ring, an arrow from a
// lock to the worker holding it, a dashed arrow from a worker to the lock it waits for. A cycle — a
// deadlock — is drawn thick and red and named in the title; once seen it stays on show after it is broken.
class WaitForGraph : public QWidget {
    Q_OBJECT
public:
    explicit WaitForGraph(QWidget* parent = nullptr);

    void clear();
    void update(const std::vector<WorkerInfo>& workers, const std::vector<QString>& lockNames,
        const LockRegistry::Snapshot& locks);
    // The deadlock on show, as "Worker-1 → lock-B → Worker-2 → lock-A"; empty when there has been none.
    QString deadlockText() const { return m_deadlockText; }
    QSize sizeHint() const override { return { 360, 300 }; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    std::vector<QString> m_workers;
    std::vector<QString> m_locks; // index = lock id; 0 is no lock
    LockRegistry::Snapshot m_shown;
    std::vector<LockRegistry::Edge> m_cycle;
    QString m_deadlockText;
    bool m_broken = false; // the deadlock on show is over
};

} // namespace tl::ui
