#pragma once

#include "parameter.h"

#include <QJsonObject>
#include <QJsonValue>
#include <atomic>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

namespace tl {

// A parameter the user may change while the run goes on: workers load() it each iteration (a relaxed
// load of the run's atomic). Read from a finished run's summary it holds the value recorded there.
template <typename T> class Live {
public:
    Live() = default;
    explicit Live(const std::atomic<std::int64_t>& source)
        : m_source(&source)
    {
    }
    explicit Live(std::int64_t value)
        : m_value(value)
    {
    }
    T load() const { return static_cast<T>(m_source ? m_source->load(std::memory_order_relaxed) : m_value); }

private:
    const std::atomic<std::int64_t>* m_source = nullptr;
    std::int64_t m_value = 0;
};

template <typename T> constexpr bool kIsLive = false;
template <typename T> constexpr bool kIsLive<Live<T>> = true;
template <typename T> struct LiveValue {
    using type = T;
};
template <typename T> struct LiveValue<Live<T>> {
    using type = T;
};

// One member of a parameter struct bound to its ParamSpec.
template <typename S> struct ParamField {
    ParamSpec spec;
    // Sets the member from the run's atomic (`live`, null outside a run) or from `value`.
    std::function<void(S&, const std::atomic<std::int64_t>* live, std::int64_t value)> set;
};

// A scenario's parameters as a struct, and one table binding each member to its ParamSpec: the key is
// written once, in the table, and code reads members, so a misspelt parameter does not compile. The table's
// order is the order of the form, `describe` and `--set`. A member of type Live<T> makes its parameter
// changeable while running; any other member is read once, when the run starts.
template <typename S> class ParamTable {
public:
    ParamTable(std::initializer_list<std::vector<ParamField<S>>> groups)
    {
        for (const auto& g : groups)
            m_fields.insert(m_fields.end(), g.begin(), g.end());
    }

    QList<ParamSpec> specs() const
    {
        QList<ParamSpec> list;
        for (const auto& f : m_fields)
            list.append(f.spec);
        return list;
    }
    // From a running context (RunContext: param(name) gives the run's atomic of each parameter).
    template <typename Context> S read(const Context& ctx) const
    {
        S s {};
        for (const auto& f : m_fields) {
            const auto& value = ctx.param(f.spec.name);
            f.set(s, &value, value.load(std::memory_order_relaxed));
        }
        return s;
    }
    // From a run's summary JSON (its "params", as summaryJson() wrote them). A parameter the summary lacks
    // reads as 0, false or no choice (-1), as the JSON itself would: never as a default the run did not use.
    S fromSummary(const QJsonObject& summary) const
    {
        const QJsonObject params = summary[QLatin1String("params")].toObject();
        S s {};
        for (const auto& f : m_fields) {
            const QJsonValue v = params[f.spec.name];
            const std::int64_t value = f.spec.type == ParamType::Choice ? f.spec.choices.indexOf(v.toString())
                : f.spec.type == ParamType::Boolean                     ? std::int64_t(v.toBool())
                                                                        : v.toInteger();
            f.set(s, nullptr, value);
        }
        return s;
    }
    // This table's fields as a group inside a larger struct's table (see paramGroup()).
    const std::vector<ParamField<S>>& fields() const { return m_fields; }

private:
    std::vector<ParamField<S>> m_fields;
};

// `member` of S is the parameter `spec` (bool, integer, std::chrono duration, an enum with a fixed underlying
// type for a choice, since a summary may hold no choice (-1), or Live<one of those>).
template <typename S, typename T> std::vector<ParamField<S>> param(T S::*member, ParamSpec spec)
{
    if constexpr (kIsLive<T>)
        spec.changeableWhileRunning();
    using Value = typename LiveValue<T>::type;
    if constexpr (std::is_enum_v<Value>)
        static_assert(
            requires { Value { -1 }; }, "a choice's enum needs a fixed underlying type (enum X : int)");
    return { { std::move(spec), [member](S& s, const std::atomic<std::int64_t>* live, std::int64_t value) {
                  if constexpr (kIsLive<T>)
                      s.*member = live ? T(*live) : T(value);
                  else
                      s.*member = static_cast<T>(value);
              } } };
}

// `member` of S is a struct of parameters several scenarios share, with its own table.
template <typename S, typename G> std::vector<ParamField<S>> paramGroup(G S::*member, const ParamTable<G>& table)
{
    std::vector<ParamField<S>> fields;
    for (const auto& f : table.fields())
        fields.push_back(
            { f.spec, [member, set = f.set](S& s, const std::atomic<std::int64_t>* live, std::int64_t value) {
                 set(s.*member, live, value);
             } });
    return fields;
}

} // namespace tl
