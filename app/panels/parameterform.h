#pragma once

#include <params/parameter.h>

#include <QWidget>

class QFormLayout;

namespace tl::ui {

// A form generated from a scenario's parameter descriptions: spin boxes for integers, check boxes for
// booleans, combo boxes for choices, with the help text as tooltip. During a run only the parameters that
// may change while running stay enabled; changing one emits liveChanged at once.
class ParameterForm : public QWidget {
    Q_OBJECT
public:
    explicit ParameterForm(QWidget* parent = nullptr);

    void setParams(const ParamSet& params);
    const ParamSet& params() const { return m_params; }
    void setRunning(bool running);
    QWidget* editorFor(const QString& name) const;

signals:
    void liveChanged(const QString& name, std::int64_t value);

private:
    void onEdited(int index, std::int64_t value);

    ParamSet m_params;
    QFormLayout* m_layout;
    std::vector<QWidget*> m_editors;
    bool m_running = false;
};

} // namespace tl::ui
