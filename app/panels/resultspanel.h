#pragma once

#include <QTextBrowser>

class QAction;

namespace tl::ui {

class RunDocument;

// The run's results while it goes and once it has ended: the account in words, figures, records and the
// per-worker table (see resultsHtml()). A moment's "show" link is handed on as momentClicked. Its context
// menu exports the per-worker table as CSV once a run has ended.
class ResultsPanel : public QTextBrowser {
    Q_OBJECT
public:
    explicit ResultsPanel(RunDocument* document, QWidget* parent = nullptr);

    // "Export Per-Worker Table as CSV…" (asks for a file): enabled once a run has ended with per-worker figures.
    QAction* exportWorkersAction() const { return m_exportWorkers; }
    // The finished run's per-worker table written to `path` (whole or not at all); `error` says why not.
    bool exportWorkersCsv(const QString& path, QString* error) const;

signals:
    void momentClicked(const QUrl& link);

protected:
    void contextMenuEvent(QContextMenuEvent* e) override;

private:
    void chooseWorkersCsv();

    RunDocument* m_document;
    QAction* m_exportWorkers;
};

} // namespace tl::ui
