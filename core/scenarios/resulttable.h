#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QStringList>
#include <any>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace tl {

namespace detail {
template <typename T> constexpr bool kIsOptional = false;
template <typename T> constexpr bool kIsOptional<std::optional<T>> = true;

template <typename T> QJsonValue toJson(const T& value)
{
    // QJsonValue takes bool, int, qint64, double, QString, QJsonObject and QJsonArray; other integers (long)
    // would be ambiguous.
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, int>)
        return QJsonValue(qint64(value));
    else
        return QJsonValue(value);
}

template <typename T> T fromJson(const QJsonValue& v)
{
    if constexpr (std::is_same_v<T, bool>)
        return v.toBool();
    else if constexpr (std::is_integral_v<T>)
        return T(v.toInteger());
    else if constexpr (std::is_same_v<T, double>)
        return v.toDouble();
    else if constexpr (std::is_same_v<T, QString>)
        return v.toString();
    else if constexpr (std::is_same_v<T, QJsonObject>)
        return v.toObject();
    else if constexpr (std::is_same_v<T, QJsonValue>)
        return v; // a figure that is a number or a text
    else
        return v.toArray();
}
}

// One member of a result struct bound to its key in the run's results.
template <typename S> struct ResultField {
    QString key;
    std::function<std::optional<QJsonValue>(const S&)> get; // nothing: the result is left out
    std::function<void(S&, const QJsonValue&)> set;
    std::any member; // the member pointer, for key()
};

// A scenario's results as a struct, and one table binding each member to its JSON key: the scenario fills
// the struct and reports it once; describeOutcome() reads the same struct back from the summary. The
// table's order is the order people read them (ScenarioInfo::results). The rows of a result that is a list
// of records are structs with a table of their own. An empty std::optional member is left out of the
// results, as a key the run never set.
template <typename S> class ResultTable {
public:
    ResultTable(std::initializer_list<ResultField<S>> fields)
        : m_fields(fields)
    {
    }

    QStringList keys() const
    {
        QStringList list;
        for (const auto& f : m_fields)
            list.append(f.key);
        return list;
    }
    // The key of `member`, where a result is named on its own: a live result, a counter of the same name, a
    // column the parent adds to a child's report.
    template <typename T> QString key(T S::*member) const
    {
        for (const auto& f : m_fields)
            if (const auto* m = std::any_cast<T S::*>(&f.member); m && *m == member)
                return f.key;
        return {};
    }
    // Sets each result on the run (RunContext::setResult), or in a child process on what it reports to its
    // parent (ChildContext::report).
    template <typename Sink> void report(Sink& sink, const S& results) const
    {
        forEach(results, [&sink](const QString& key, const QJsonValue& value) {
            if constexpr (requires { sink.setResult(key, value); })
                sink.setResult(key, value);
            else
                sink.report(key, value);
        });
    }
    // Calls report(key, value) for each result that is there (e.g. ChildContext::report).
    template <typename Report> void forEach(const S& results, Report&& report) const
    {
        for (const auto& f : m_fields)
            if (const auto v = f.get(results))
                report(f.key, *v);
    }
    // From a run's summary JSON (its "results").
    S fromSummary(const QJsonObject& summary) const { return fromObject(summary[QLatin1String("results")].toObject()); }
    // A record (a row of a result that is a list of them) as JSON, and back.
    QJsonObject toObject(const S& record) const
    {
        QJsonObject o;
        for (const auto& f : m_fields)
            if (const auto v = f.get(record))
                o.insert(f.key, *v);
        return o;
    }
    S fromObject(const QJsonObject& o) const
    {
        S s {};
        for (const auto& f : m_fields)
            if (const auto it = o.constFind(f.key); it != o.constEnd())
                f.set(s, *it);
        return s;
    }

private:
    std::vector<ResultField<S>> m_fields;
};

// The reading order of records of several kinds in one list (ScenarioInfo::results has one for every
// level): each kind's columns keep their order, a column they share stands once.
inline QStringList mergedOrder(const QStringList& a, const QStringList& b)
{
    QStringList out;
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < a.size() || j < b.size()) {
        if (i < a.size() && out.contains(a[i]))
            ++i;
        else if (j < b.size() && out.contains(b[j]))
            ++j;
        else if (j == b.size() || (i < a.size() && b.indexOf(a[i], j) < 0))
            out << a[i++]; // next in a, and b does not need it later
        else
            out << b[j++];
    }
    return out;
}

// `member` of S is the result `key` (bool, int, 64-bit integer, double, QString, QJsonObject, QJsonArray,
// QJsonValue, or a std::optional of one of them).
template <typename S, typename T> ResultField<S> result(T S::*member, QString key)
{
    return { std::move(key),
        [member](const S& s) -> std::optional<QJsonValue> {
            if constexpr (detail::kIsOptional<T>) {
                if (!(s.*member))
                    return std::nullopt;
                return detail::toJson(*(s.*member));
            } else {
                return detail::toJson(s.*member);
            }
        },
        [member](S& s, const QJsonValue& v) {
            if constexpr (detail::kIsOptional<T>)
                s.*member = detail::fromJson<typename T::value_type>(v);
            else
                s.*member = detail::fromJson<T>(v);
        },
        member };
}

} // namespace tl
