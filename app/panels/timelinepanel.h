#pragma once

#include <QWidget>

#include <cstdint>

class QAction;
class QLabel;

namespace tl::ui {

class RunDocument;
class TimelineView;

// The run's timeline, live as it grows, with the statistics of the range selected on it, and its View
// actions: fit, zoom, zoom to the selection, and lanes by CPU (QSettings "lanesByCpu") once the run has ended.
class TimelinePanel : public QWidget {
    Q_OBJECT
public:
    explicit TimelinePanel(RunDocument* document, QWidget* parent = nullptr);

    TimelineView* view() const { return m_view; }
    QString selectionText() const;
    // What the timeline says between Run and the run's first lanes ("Starting Race on a shared counter…");
    // hidden otherwise.
    QLabel* startingLabel() const { return m_starting; }
    // Zooms to a moment a results link names ("show:FROM:TO", e.g. a lost update) and selects it.
    void showMoment(const QUrl& link);

    QAction* fitAction() const { return m_fit; }
    QList<QAction*> zoomActions() const { return m_zoom; } // fit, in, out, to the selection
    QList<QAction*> historyActions() const { return m_history; } // Back (Alt+Left), Forward (Alt+Right)
    QAction* lanesByCpuAction() const { return m_lanesByCpu; }

private:
    void buildActions();
    void showSelection(std::int64_t t0, std::int64_t t1);

    RunDocument* m_document;
    TimelineView* m_view;
    QLabel* m_selectionInfo;
    QLabel* m_starting;
    QAction* m_fit = nullptr;
    QList<QAction*> m_zoom;
    QList<QAction*> m_history;
    QAction* m_lanesByCpu = nullptr;
};

} // namespace tl::ui
