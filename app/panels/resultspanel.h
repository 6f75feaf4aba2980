#pragma once

#include <QTextBrowser>

namespace tl::ui {

class RunDocument;

// The run's results while it goes and once it has ended: the account in words, figures, records and the
// per-worker table (see resultsHtml()). A moment's "show" link is handed on as momentClicked.
class ResultsPanel : public QTextBrowser {
    Q_OBJECT
public:
    explicit ResultsPanel(RunDocument* document, QWidget* parent = nullptr);

signals:
    void momentClicked(const QUrl& link);
};

} // namespace tl::ui
