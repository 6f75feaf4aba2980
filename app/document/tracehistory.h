#pragma once

#include <launch/tracedprogram.h>

#include <QList>
#include <QString>
#include <QStringList>

// What File → Trace a Program… remembers (QSettings "trace/…"): the values the dialog was last accepted
// with, and the programs traced lately, the most recent first, each with its arguments, folder and
// environment so that File → Recent Programs starts it again in one click.
namespace tl::ui::tracehistory {

inline constexpr int kMaxRecent = 8;

// The request the dialog was last accepted with (empty before the first).
TraceRequest last();
// Remembers `request` as the last one and puts it first among the recent ones (once: an equal request
// moves up), keeping kMaxRecent.
void remember(const TraceRequest& request);
QList<TraceRequest> recent();

// A command as a shell would take it back: arguments with spaces or quotes are quoted ('echo a b').
QString commandLine(const QStringList& command);
// Splits one line of arguments as a shell would: quotes group, backslashes escape outside single quotes.
QStringList splitArguments(const QString& line);

} // namespace tl::ui::tracehistory
