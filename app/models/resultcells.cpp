#include "resultcells.h"

#include <params/format.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>
#include <algorithm>
#include <cmath>

namespace tl::ui {

namespace {
bool isId(const QString& key)
{
    static const QStringList ids { QStringLiteral("pid"), QStringLiteral("ppid"), QStringLiteral("tid"),
        QStringLiteral("cpu"), QStringLiteral("seed"), QStringLiteral("parent_pid") };
    return ids.contains(key) || key.endsWith(u"_pid") || key.endsWith(u"_id");
}

QString number(const QString& key, double v)
{
    if (isId(key))
        return QString::number(qint64(std::llround(v)));
    if (v != std::floor(v))
        return std::abs(v) >= 1000 ? groupedNumber(qint64(std::llround(v))) : QString::number(v, 'g', 4);
    return groupedNumber(qint64(v));
}
}

QString resultLabel(const QString& key)
{
    struct Unit {
        const char16_t* suffix;
        const char16_t* shown; // empty: the cell carries the unit
    };
    // The longer suffixes first: "_mb_s" and "_per_s" also end in "_s".
    static constexpr Unit kUnits[] = { { u"_ns", u"" }, { u"_per_s", u" per second" }, { u"_mb_s", u" (MB/s)" },
        { u"_gb_s", u" (GB/s)" }, { u"_us", u" (µs)" }, { u"_ms", u" (ms)" }, { u"_s", u" (s)" }, { u"_kb", u" (KiB)" },
        { u"_bytes", u" (bytes)" } };
    QString label = key;
    QString unit;
    for (const Unit& u : kUnits) {
        const QString suffix = QString::fromUtf16(u.suffix);
        if (label.endsWith(suffix) && label.size() > suffix.size()) {
            label.chop(suffix.size());
            unit = QString::fromUtf16(u.shown);
            break;
        }
    }
    label.replace(u'_', u' ');
    return (label + unit).toHtmlEscaped();
}

QString resultCell(const QString& key, const QJsonValue& value)
{
    if (key.endsWith(u"_ns") && value.isDouble())
        return formatDuration(value.toDouble());
    if (value.isDouble())
        return number(key, value.toDouble());
    if (value.isArray()) {
        const QJsonArray items = value.toArray();
        const bool scalars
            = std::none_of(items.begin(), items.end(), [](const QJsonValue& v) { return v.isArray() || v.isObject(); });
        if (scalars) {
            QStringList shown;
            for (const QJsonValue v : items)
                shown << resultCell(key, v);
            return shown.join(QStringLiteral(", "));
        }
    }
    if (value.isArray() || value.isObject())
        return QString::fromUtf8(QJsonDocument::fromVariant(value.toVariant()).toJson(QJsonDocument::Compact))
            .toHtmlEscaped();
    if (value.isBool())
        return value.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    return value.toVariant().toString().toHtmlEscaped();
}

QStringList readingOrder(QStringList keys, const QStringList& declared)
{
    // Rank: a declared key's place, then every number after them (ordered by value), then the rest.
    auto rank = [&](const QString& key) {
        const qsizetype place = declared.indexOf(key);
        bool numeric = false;
        const double value = key.toDouble(&numeric);
        return place >= 0 ? std::pair(0, double(place)) : numeric ? std::pair(1, value) : std::pair(2, 0.0);
    };
    std::stable_sort(keys.begin(), keys.end(), [&](const QString& a, const QString& b) { return rank(a) < rank(b); });
    return keys;
}

} // namespace tl::ui
