#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <list>
#include <thread>

namespace tl::ui {

// Work off the GUI thread (exports), each job on a thread of its own, its result brought back to the GUI
// thread. Destroying this waits for the jobs still going; their results are then not delivered.
class BackgroundJobs : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    ~BackgroundJobs() override;

    // Runs `work` (which returns an error message, empty on success) and hands the message to `done` on
    // this object's thread, through a queued call.
    void run(std::function<QString()> work, std::function<void(const QString& error)> done);

private:
    // Each thread is joined once its result is back, the rest by the destructor.
    std::list<std::jthread> m_threads;
};

} // namespace tl::ui
