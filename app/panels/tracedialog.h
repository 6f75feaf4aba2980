#pragma once

#include <launch/tracedprogram.h>

#include <QDialog>
#include <QObject>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QMenu;
class QPlainTextEdit;

namespace tl::ui {

class RunDocument;

// File → Trace a Program…: the program (with the recent ones in its drop-down), its arguments on one line
// split as a shell would, its working directory and extra environment. OK checks that the program can start
// (checkProgram) and, when it cannot, says why in red and stays open; accepted values are remembered
// (tracehistory) and shown again next time.
class TraceDialog : public QDialog {
    Q_OBJECT
public:
    explicit TraceDialog(QWidget* parent = nullptr);

    void setRequest(const TraceRequest& request);
    TraceRequest request() const;
    QString problem() const; // why the program cannot start, as shown; empty when it can
    void accept() override;

private:
    void chooseProgram();
    void chooseDirectory();

    QComboBox* m_program;
    QLineEdit* m_arguments;
    QLineEdit* m_directory;
    QPlainTextEdit* m_environment;
    QLabel* m_problem;
};

// The window's way in to tracing: the Trace a Program… action and the Recent Programs menu, both disabled
// while a run's workers go. Each asks for a trace with traceRequested(), once the request is remembered.
class TraceActions : public QObject {
    Q_OBJECT
public:
    TraceActions(RunDocument* document, QWidget* window);

    QAction* traceAction() const { return m_trace; }
    QMenu* recentMenu() const { return m_recent; }
    // Opens the dialog; a request accepted there is traced.
    void openDialog();

signals:
    void traceRequested(const tl::TraceRequest& request);

private:
    void fillRecentMenu();
    void request(const TraceRequest& request);

    QWidget* m_window;
    QAction* m_trace;
    QMenu* m_recent;
};

} // namespace tl::ui
