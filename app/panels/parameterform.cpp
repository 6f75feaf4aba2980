#include "parameterform.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>

namespace tl::ui {

ParameterForm::ParameterForm(QWidget* parent)
    : QWidget(parent)
    , m_layout(new QFormLayout(this))
{
    m_layout->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
}

void ParameterForm::setParams(const ParamSet& params)
{
    while (m_layout->rowCount() > 0)
        m_layout->removeRow(0);
    m_editors.clear();
    m_params = params;

    const auto& specs = m_params.specs();
    for (int i = 0; i < specs.size(); ++i) {
        const ParamSpec& spec = specs[i];
        const std::int64_t value = m_params.value(i);
        QWidget* editor = nullptr;
        switch (spec.type) {
        case ParamType::Integer: {
            auto* spin = new QSpinBox;
            spin->setRange(int(spec.min), int(spec.max));
            spin->setValue(int(value));
            spin->setAccelerated(true);
            if (!spec.unit.isEmpty())
                spin->setSuffix(u' ' + spec.unit);
            connect(spin, &QSpinBox::valueChanged, this, [this, i](int v) { onEdited(i, v); });
            editor = spin;
            break;
        }
        case ParamType::Boolean: {
            auto* check = new QCheckBox;
            check->setChecked(value != 0);
            connect(check, &QCheckBox::toggled, this, [this, i](bool on) { onEdited(i, on ? 1 : 0); });
            editor = check;
            break;
        }
        case ParamType::Choice: {
            auto* combo = new QComboBox;
            combo->addItems(spec.choices);
            combo->setCurrentIndex(int(value));
            connect(combo, &QComboBox::currentIndexChanged, this, [this, i](int v) { onEdited(i, v); });
            editor = combo;
            break;
        }
        }
        QString tip = spec.help + QStringLiteral("\nValid: %1").arg(spec.validValues());
        if (spec.live)
            tip += tr("\nMay be changed while the scenario runs.");
        editor->setToolTip(tip);
        editor->setAccessibleName(spec.name);
        editor->setAccessibleDescription(spec.help);
        editor->setObjectName(QStringLiteral("param_") + spec.name);
        auto* label = new QLabel(spec.name + (spec.live ? QStringLiteral(" ⟳") : QString()));
        label->setToolTip(tip);
        label->setBuddy(editor);
        m_layout->addRow(label, editor);
        m_editors.push_back(editor);
    }
    setRunning(m_running);
}

void ParameterForm::setRunning(bool running)
{
    m_running = running;
    const auto& specs = m_params.specs();
    for (int i = 0; i < specs.size(); ++i)
        m_editors[std::size_t(i)]->setEnabled(!running || specs[i].live);
}

QWidget* ParameterForm::editorFor(const QString& name) const
{
    const int i = m_params.indexOf(name);
    return i >= 0 ? m_editors[std::size_t(i)] : nullptr;
}

void ParameterForm::onEdited(int index, std::int64_t value)
{
    m_params.setValue(index, value);
    if (m_running && m_params.specs()[index].live)
        emit liveChanged(m_params.specs()[index].name, value);
}

} // namespace tl::ui
