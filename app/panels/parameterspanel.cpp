#include "parameterspanel.h"

#include <document/rundocument.h>
#include <panels/parameterform.h>

#include <QFile>
#include <QLabel>
#include <QSettings>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace tl::ui {

namespace {
QString settingsKey(const QString& scenario, const QString& param)
{
    return QStringLiteral("params/%1/%2").arg(scenario, param);
}
}

ParametersPanel::ParametersPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_form(new ParameterForm)
    , m_explanation(new QTextBrowser)
{
    m_form->setAccessibleName(tr("Parameters"));
    m_explanation->setAccessibleName(tr("About this scenario"));
    m_explanation->setOpenExternalLinks(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("<b>Parameters</b> (⟳ may change while running)")));
    layout->addWidget(m_form);
    layout->addWidget(m_explanation, 1);

    connect(document, &RunDocument::started, m_form, [this] { m_form->setRunning(true); });
    // The next run's parameters may be set once the workers are done.
    connect(document, &RunDocument::workersEnded, m_form, [this] { m_form->setRunning(false); });
}

void ParametersPanel::showScenario(const ScenarioInfo& info)
{
    m_scenario = info.name;
    ParamSet params(info.params);
    QSettings settings;
    for (const auto& spec : info.params) {
        const QVariant saved = settings.value(settingsKey(info.name, spec.name));
        if (saved.isValid())
            params.set(spec.name, saved.toString(), nullptr); // a stale or invalid value keeps the default
    }
    m_form->setParams(params);
    QFile page(QStringLiteral(":/explanations/%1.html").arg(info.name));
    m_explanation->setHtml(page.open(QIODevice::ReadOnly)
            ? QString::fromUtf8(page.readAll())
            : QStringLiteral("<h3>%1</h3><p>%2</p>").arg(info.title.toHtmlEscaped(), info.summary.toHtmlEscaped()));
}

void ParametersPanel::saveParams() const
{
    if (m_scenario.isEmpty())
        return;
    QSettings settings;
    for (const auto& [name, value] : m_form->params().asText())
        settings.setValue(settingsKey(m_scenario, name), value);
}

const ParamSet& ParametersPanel::params() const
{
    return m_form->params();
}

} // namespace tl::ui
