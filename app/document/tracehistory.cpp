#include "tracehistory.h"

#include <QProcess>
#include <QRegularExpression>
#include <QSettings>

namespace tl::ui::tracehistory {

namespace {
const QString kGroup = QStringLiteral("trace");

TraceRequest read(const QSettings& settings)
{
    return { .command = settings.value(QStringLiteral("command")).toStringList(),
        .workingDirectory = settings.value(QStringLiteral("workingDirectory")).toString(),
        .environment = settings.value(QStringLiteral("environment")).toStringList() };
}

void write(QSettings& settings, const TraceRequest& request)
{
    settings.setValue(QStringLiteral("command"), request.command);
    settings.setValue(QStringLiteral("workingDirectory"), request.workingDirectory);
    settings.setValue(QStringLiteral("environment"), request.environment);
}

bool same(const TraceRequest& a, const TraceRequest& b)
{
    return a.command == b.command && a.workingDirectory == b.workingDirectory && a.environment == b.environment;
}
} // namespace

TraceRequest last()
{
    QSettings settings;
    settings.beginGroup(kGroup + QStringLiteral("/last"));
    return read(settings);
}

QList<TraceRequest> recent()
{
    QSettings settings;
    QList<TraceRequest> list;
    const int size = settings.beginReadArray(kGroup + QStringLiteral("/recent"));
    for (int i = 0; i < std::min(size, kMaxRecent); ++i) {
        settings.setArrayIndex(i);
        if (TraceRequest request = read(settings); !request.command.isEmpty())
            list << request;
    }
    settings.endArray();
    return list;
}

void remember(const TraceRequest& request)
{
    QList<TraceRequest> list = recent();
    list.removeIf([&](const TraceRequest& r) { return same(r, request); });
    list.prepend(request);
    if (list.size() > kMaxRecent)
        list.resize(kMaxRecent);
    QSettings settings;
    settings.beginGroup(kGroup);
    settings.remove(QStringLiteral("recent")); // a longer old list leaves no entries past the new one's end
    settings.beginGroup(QStringLiteral("last"));
    write(settings, request);
    settings.endGroup();
    settings.beginWriteArray(QStringLiteral("recent"), int(list.size()));
    for (int i = 0; i < list.size(); ++i) {
        settings.setArrayIndex(i);
        write(settings, list[i]);
    }
    settings.endArray();
}

QString commandLine(const QStringList& command)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    static const QRegularExpression special(QStringLiteral("[\"$`\\\\]"));
    QStringList words;
    for (const QString& word : command) {
        if (plain.match(word).hasMatch())
            words << word;
        else if (word.contains(u'\'') && !special.match(word).hasMatch()) // "trap '' TERM" reads better so
            words << u'"' + word + u'"';
        else
            words << u'\'' + QString(word).replace(u'\'', QStringLiteral("'\\''")) + u'\'';
    }
    return words.join(u' ');
}

QStringList splitArguments(const QString& line)
{
    QStringList words;
    QString word;
    bool inWord = false;
    QChar quote; // the quote open, if any
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quote == u'\'') {
            if (c == u'\'')
                quote = QChar();
            else
                word += c;
        } else if (c == u'\\' && i + 1 < line.size()
            && (quote.isNull() || line[i + 1] == u'"' || line[i + 1] == u'\\' || line[i + 1] == u'$')) {
            word += line[++i];
            inWord = true;
        } else if (quote == u'"') {
            if (c == u'"')
                quote = QChar();
            else
                word += c;
        } else if (c == u'\'' || c == u'"') {
            quote = c;
            inWord = true;
        } else if (c.isSpace()) {
            if (inWord)
                words << word;
            word.clear();
            inWord = false;
        } else {
            word += c;
            inWord = true;
        }
    }
    if (inWord)
        words << word;
    return words;
}

} // namespace tl::ui::tracehistory
