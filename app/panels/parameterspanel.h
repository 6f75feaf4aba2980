#pragma once

#include <scenarios/scenario.h>

#include <QWidget>

class QScrollArea;
class QTextBrowser;

namespace tl::ui {

class ParameterForm;
class RunDocument;

// A scenario's parameters as a form, with the values chosen last time for it (QSettings
// "params/SCENARIO/NAME"), and the page that explains the scenario. While a run is live only the parameters
// that may change while running stay enabled.
class ParametersPanel : public QWidget {
    Q_OBJECT
public:
    explicit ParametersPanel(RunDocument* document, QWidget* parent = nullptr);

    void showScenario(const ScenarioInfo& scenario);
    // Remembers the form's values for the scenario shown.
    void saveParams() const;
    const ParamSet& params() const;
    ParameterForm* form() const { return m_form; }

private:
    QString m_scenario; // the name of the scenario shown
    ParameterForm* m_form;
    QTextBrowser* m_explanation;
    QScrollArea* m_formArea;
    // Seven rows or so: with queue-pipe's ten and the scenario list the window needed 736 px at least.
    static constexpr int kMaxFormHeight = 200;
};

} // namespace tl::ui
