#include "tracedsource.h"

#include <QFileInfo>

namespace tl {

ScenarioInfo TracedProgramSource::info() const
{
    const QStringList& command = m_program.request().command;
    const QString program = command.isEmpty() ? QString() : QFileInfo(command.first()).fileName();
    return {
        .name = QString::fromLatin1(kTraceSourceName),
        .title = QStringLiteral("%1 (traced)").arg(program),
        .summary = QStringLiteral("Run %1 and record its threads, locks and processes").arg(command.join(u' ')),
        .topic = QStringLiteral("Your own program"),
        .params = {},
        .results = { QStringLiteral("program"), QStringLiteral("exit_code"), QStringLiteral("signal"),
            QStringLiteral("processes"), QStringLiteral("threads"), QStringLiteral("threads_with_lock_detail"),
            QStringLiteral("locks"), QStringLiteral("without_lock_detail"), QStringLiteral("threads_without_slot"),
            QStringLiteral("stopped_with"), QStringLiteral("tracee_library"), QStringLiteral("python_gil"),
            QStringLiteral("python_thread_names") },
    };
}

QString describeTrace(const QJsonObject& summary)
{
    const QJsonObject r = summary[u"results"].toObject();
    const QString program = r[u"program"].toString().toHtmlEscaped();
    const QString ended = r.contains(u"exit_code") ? QStringLiteral("exited with code %1").arg(r[u"exit_code"].toInt())
        : r.contains(u"signal")                    ? QStringLiteral("was ended by %1").arg(r[u"signal"].toString())
                                                   : QStringLiteral("ended");
    const qint64 processes = r[u"processes"].toInteger();
    const qint64 threads = r[u"threads"].toInteger();
    const qint64 detailed = r[u"threads_with_lock_detail"].toInteger();
    const qint64 locks = r[u"locks"].toInteger();
    QString html = QStringLiteral("<b>%1</b> %2. It ran %3 process%4 and %5 thread%6; ")
                       .arg(program, ended)
                       .arg(processes)
                       .arg(processes == 1 ? "" : "es")
                       .arg(threads)
                       .arg(threads == 1 ? "" : "s");
    html += detailed == threads && threads > 0
        ? QStringLiteral("the tracee library saw all of them and %1 lock%2.").arg(locks).arg(locks == 1 ? "" : "s")
        : QStringLiteral("the tracee library saw %1 of them and %2 lock%3.")
              .arg(detailed)
              .arg(locks)
              .arg(locks == 1 ? "" : "s");
    if (r.contains(u"without_lock_detail"))
        html += QStringLiteral(" No lock detail for %1: the tracee library was not loaded there (a statically linked "
                               "or set-uid program, or one started with an environment without LD_PRELOAD), so "
                               "only the kernel's view of its threads is shown.")
                    .arg(r[u"without_lock_detail"].toString().toHtmlEscaped());
    if (const qint64 lost = r[u"threads_without_slot"].toInteger(); lost > 0)
        html += QStringLiteral(" %1 thread%2 found no free slot in the trace's memory: their lock detail is missing.")
                    .arg(lost)
                    .arg(lost == 1 ? "" : "s");
    if (const QString gil = r[u"python_gil"].toString(); gil.startsWith(u"this Python"))
        html += QStringLiteral(" The program is a Python: %1.").arg(gil.toHtmlEscaped());
    else if (!gil.isEmpty())
        html += QStringLiteral(" The program is a CPython 3.11: its GIL is shown as the lock GIL.");
    if (r.contains(u"python_thread_names"))
        html
            += QStringLiteral(" Python thread names are %1.").arg(r[u"python_thread_names"].toString().toHtmlEscaped());
    if (r.contains(u"stopped_with"))
        html += QStringLiteral(" Stopped: ThreadLab ended it with %1.").arg(r[u"stopped_with"].toString());
    return html;
}

} // namespace tl
