#pragma once

#include <scenarios/scenario.h>

#include <QWidget>

class QLabel;
class QListWidget;

namespace tl::ui {

class RunDocument;

// The scenarios to choose from, each with its title and summary; locked while a run is live. The choice is
// remembered across sessions (QSettings "lastScenario").
class ScenarioListPanel : public QWidget {
    Q_OBJECT
public:
    explicit ScenarioListPanel(RunDocument* document, QWidget* parent = nullptr);

    bool selectScenario(const QString& name);
    // Selects the scenario chosen last time, else the first.
    void restoreLastScenario();
    // The chosen scenario, or nullptr when none is.
    const ScenarioInfo* current() const;
    // The fewest entries the list keeps in view, however small the window.
    static constexpr int kMinShown = 8;

signals:
    void scenarioChosen(const tl::ScenarioInfo& scenario);

private:
    void onRowChanged(int row);

    std::vector<ScenarioInfo> m_catalog;
    QListWidget* m_list;
    QLabel* m_summary;
};

} // namespace tl::ui
