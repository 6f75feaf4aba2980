#include "rundocument.h"

#include <session/tracedsource.h>

namespace tl::ui {

RunDocument::RunDocument(QObject* parent)
    : QObject(parent)
{
}

void RunDocument::start(const ScenarioInfo& scenario, const ParamSet& params)
{
    QStringList shownParams;
    for (const auto& [name, value] : params.asText())
        shownParams << name + u'=' + value;
    // A scenario goes by its command-line name and parameters; a traced program by its own name ("prog
    // (traced)", as the exports' titles and file names say it) and its command.
    if (scenario.name == QLatin1StringView(kTraceSourceName))
        m_timeline.reset(scenario.title, scenario.summary);
    else
        m_timeline.reset(scenario.name, shownParams.join(u", "));
    m_resultOrder = scenario.results;
    m_live = true;
    m_sinceStart.start();
    m_workersEndedAt = -1;
    emit started();
}

void RunDocument::endWorkers()
{
    m_workersEndedAt = m_sinceStart.elapsed();
    emit workersEnded();
}

void RunDocument::appendBatch(const TraceBatchPtr& batch)
{
    m_timeline.append(*batch);
    emit batchAppended(batch);
}

void RunDocument::finish(const RunOutcome& outcome)
{
    if (!isCompleting())
        endWorkers(); // so that workersEnded() alone tells the panels a new run may start
    m_outcome = outcome;
    m_timeline.finish(*outcome.trace); // the batches carried every span: nothing to build again
    m_byCpu.reset();
    m_live = false;
    m_workersEndedAt = -1;
    m_summary = summaryJson(outcome);
    m_account = runAccount(outcome, m_summary);
    m_chartSpec = m_summary[u"results"][u"chart"].toObject();
    emit finished();
}

std::shared_ptr<const TimelineData> RunDocument::shownTimeline()
{
    // While a run is live the lanes follow the workers; the CPU view is built from the finished run.
    if (m_lanes != Lanes::ByCpu || m_live || !hasTrace())
        return m_timeline.snapshot();
    if (!m_byCpu)
        m_byCpu = std::make_shared<const TimelineData>(m_timeline.data().byCpu());
    return m_byCpu;
}

void RunDocument::setLanes(Lanes lanes)
{
    if (lanes == m_lanes)
        return;
    m_lanes = lanes;
    emit lanesChanged(lanes);
}

} // namespace tl::ui
