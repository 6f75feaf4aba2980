#pragma once

#include <document/backgroundjobs.h>

#include <QObject>
#include <QSize>

#include <functional>

class QAction;
class QWidget;

namespace tl::ui {

class RunDocument;
class TimelineView;

// Where export dialogs start: the folder of the last export (QSettings "exportFolder"), else Pictures.
QString exportFolder();
void rememberExportFolder(const QString& path);

// The finished run's exports, as actions: the timeline as an image (what is visible, or the whole run), the
// trace's events in a trace format, the visible timeline to the clipboard. Files are written off the GUI
// thread; the actions are enabled while a finished run is on screen.
class RunExports : public QObject {
    Q_OBJECT
public:
    enum class Scope { VisibleRange, WholeRun };

    // `timeline` gives the visible range and its size; dialogs open over `window`. Not a child of `window`:
    // its owner destroys it first, so the writing ends before the document and the widgets go.
    RunExports(RunDocument* document, TimelineView* timeline, QWidget* window);

    QAction* exportVisibleAction() const { return m_exportVisible; }
    QAction* exportWholeAction() const { return m_exportWhole; }
    QAction* exportTraceAction() const { return m_exportTrace; }
    QAction* copyImageAction() const { return m_copyImage; }

    // Writes the timeline image off the GUI thread, then calls `done` on this one with an error message,
    // empty on success. `done` is not called if this object is destroyed first (which waits for the writing).
    void exportImageTo(const QString& path, Scope scope, std::function<void(const QString& error)> done);

signals:
    void message(const QString& text, int timeoutMs);

private:
    void exportImage(Scope scope);
    void exportTrace();
    void copyImage();
    void enableForFinishedRun();
    QSize visibleImageSize() const; // the timeline's size on screen, within what an image may be
    // For the menu's exports: a progress dialog while `path` is written, then a report.
    std::function<void(const QString& error)> reportWhenWritten(const QString& path);

    RunDocument* m_document;
    TimelineView* m_timeline;
    QWidget* m_window;
    QAction* m_exportVisible;
    QAction* m_exportWhole;
    QAction* m_exportTrace;
    QAction* m_copyImage;
    BackgroundJobs m_jobs;
};

} // namespace tl::ui
