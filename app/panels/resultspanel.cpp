#include "resultspanel.h"

#include <document/resultshtml.h>
#include <document/rundocument.h>

namespace tl::ui {

ResultsPanel::ResultsPanel(RunDocument* document, QWidget* parent)
    : QTextBrowser(parent)
{
    setAccessibleName(tr("Results"));
    setOpenLinks(false);
    setPlaceholderText(tr("Results appear here while and after a scenario runs."));
    // Words stay whole: a narrow panel scrolls sideways rather than print a header as "succe eded".
    setWordWrapMode(QTextOption::WordWrap);
    connect(this, &QTextBrowser::anchorClicked, this, &ResultsPanel::momentClicked);
    connect(document, &RunDocument::started, this, &QTextBrowser::clear);
    connect(document, &RunDocument::batchAppended, this, [this, document](const TraceBatchPtr& batch) {
        setHtml(resultsHtml(liveResultsPage(batch->liveResults, document->counters(), document->resultOrder())));
    });
    connect(document, &RunDocument::finished, this, [this, document] {
        setHtml(resultsHtml(finishedResultsPage(
            document->outcome(), document->summary(), document->account(), document->resultOrder())));
    });
}

} // namespace tl::ui
