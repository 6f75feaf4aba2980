#include "parameterspanel.h"

#include <document/rundocument.h>
#include <panels/parameterform.h>

#include <QFile>
#include <QLabel>
#include <QScrollArea>
#include <QSettings>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace tl::ui {

namespace {
// Asks for a few lines only: the explanation takes what the form leaves, and scrolls.
class Explanation : public QTextBrowser {
public:
    QSize sizeHint() const override { return { QTextBrowser::sizeHint().width(), 80 }; }
};

QString settingsKey(const QString& scenario, const QString& param)
{
    return QStringLiteral("params/%1/%2").arg(scenario, param);
}
}

ParametersPanel::ParametersPanel(RunDocument* document, QWidget* parent)
    : QWidget(parent)
    , m_form(new ParameterForm)
    , m_explanation(new Explanation)
    , m_formArea(new QScrollArea)
{
    m_form->setAccessibleName(tr("Parameters"));
    m_explanation->setAccessibleName(tr("About this scenario"));
    m_explanation->setOpenExternalLinks(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("<b>Parameters</b> (⟳ may change while running)")));
    // Ten parameters (queue-pipe) and the scenario list made the window 736 px tall at least: the form
    // scrolls rather than push the window past a 700 px screen.
    m_formArea->setWidget(m_form);
    m_formArea->setWidgetResizable(true);
    m_formArea->setFrameShape(QFrame::NoFrame);
    m_formArea->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_formArea->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents); // the whole form, room allowing
    layout->addWidget(m_formArea);
    m_explanation->setMinimumHeight(60); // a few lines; it scrolls
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
    // The whole form when there is room, never less than kMaxFormHeight of it (it scrolls then).
    // Measured once the new rows are shown: a layout shows the widgets added to a visible form only from the
    // event loop, and until then leaves them out of its size (18 px: the form was squashed to one cut row).
    QMetaObject::invokeMethod(
        this,
        [this] {
            m_formArea->setMinimumHeight(std::min(m_form->sizeHint().height(), kMaxFormHeight));
            m_formArea->setMaximumHeight(m_form->sizeHint().height());
        },
        Qt::QueuedConnection);
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
