#include "parameter.h"

#include <algorithm>

namespace tl {

namespace {
// The words a boolean or choice parameter accepts, at their values' indexes.
QStringList wordsOf(const ParamSpec& p)
{
    return p.type == ParamType::Boolean ? QStringList { QStringLiteral("false"), QStringLiteral("true") } : p.choices;
}

// " (did you mean 'mutex'?)" for another spelling of an accepted word: another case, or 1/yes/on for true.
QString didYouMean(const ParamSpec& p, const QString& text)
{
    if (p.type == ParamType::Integer)
        return {};
    QString meant;
    const QString lower = text.toLower();
    if (p.type == ParamType::Boolean && (lower == u"1" || lower == u"yes" || lower == u"on"))
        meant = QStringLiteral("true");
    else if (p.type == ParamType::Boolean && (lower == u"0" || lower == u"no" || lower == u"off"))
        meant = QStringLiteral("false");
    else if (wordsOf(p).contains(lower))
        meant = lower;
    return meant.isEmpty() ? QString() : QStringLiteral(" (did you mean '%1'?)").arg(meant);
}
}

ParamSpec ParamSpec::integer(
    QString name, std::int64_t def, std::int64_t min, std::int64_t max, QString help, QString unit)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Integer;
    p.defaultValue = def;
    p.min = min;
    p.max = max;
    p.help = std::move(help);
    p.unit = std::move(unit);
    return p;
}

ParamSpec ParamSpec::boolean(QString name, bool def, QString help)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Boolean;
    p.defaultValue = def ? 1 : 0;
    p.max = 1;
    p.help = std::move(help);
    return p;
}

ParamSpec ParamSpec::choice(QString name, QStringList choices, int def, QString help)
{
    ParamSpec p;
    p.name = std::move(name);
    p.type = ParamType::Choice;
    p.defaultValue = def;
    p.max = choices.size() - 1;
    p.choices = std::move(choices);
    p.help = std::move(help);
    return p;
}

QString ParamSpec::typeName() const
{
    switch (type) {
    case ParamType::Integer:
        return QStringLiteral("integer");
    case ParamType::Boolean:
        return QStringLiteral("boolean");
    case ParamType::Choice:
        return QStringLiteral("choice");
    }
    return {};
}

QString ParamSpec::validValues() const
{
    switch (type) {
    case ParamType::Integer:
        return QStringLiteral("%1..%2").arg(min).arg(max);
    case ParamType::Boolean:
        return QStringLiteral("true|false");
    case ParamType::Choice:
        return choices.join(QLatin1Char('|'));
    }
    return {};
}

QString ParamSpec::format(std::int64_t value) const
{
    switch (type) {
    case ParamType::Integer:
        return QString::number(value);
    case ParamType::Boolean:
        return value ? QStringLiteral("true") : QStringLiteral("false");
    case ParamType::Choice:
        return choices.value(int(value));
    }
    return {};
}

std::optional<std::int64_t> ParamSpec::parse(const QString& input, QString* error) const
{
    const QString text = input.trimmed();
    switch (type) {
    case ParamType::Integer: {
        bool ok = false;
        const qlonglong v = text.toLongLong(&ok);
        if (ok && v >= min && v <= max)
            return v;
        break;
    }
    case ParamType::Boolean:
    case ParamType::Choice:
        // One spelling per value, the one `describe`, the form and --json show: a script reads the same word
        // it wrote. Other spellings are refused with the accepted one.
        if (const auto i = wordsOf(*this).indexOf(text); i >= 0)
            return i;
        break;
    }
    if (error) {
        *error = QStringLiteral("invalid value '%1' for %2: expected %3 %4%5")
                     .arg(text, name,
                         type == ParamType::Integer ? QStringLiteral("an integer in") : QStringLiteral("one of"),
                         validValues(), didYouMean(*this, text));
    }
    return std::nullopt;
}

ParamSet::ParamSet(QList<ParamSpec> specs)
    : m_specs(std::move(specs))
{
    for (const auto& s : m_specs)
        m_values.push_back(s.defaultValue);
}

int ParamSet::indexOf(const QString& name) const
{
    for (int i = 0; i < m_specs.size(); ++i)
        if (m_specs[i].name == name)
            return i;
    return -1;
}

std::int64_t ParamSet::value(const QString& name) const
{
    const int i = indexOf(name);
    Q_ASSERT_X(i >= 0, "ParamSet::value", qPrintable(name));
    return i >= 0 ? m_values[std::size_t(i)] : 0;
}

bool ParamSet::set(const QString& name, const QString& text, QString* error)
{
    const int i = indexOf(name);
    if (i < 0) {
        if (error) {
            QStringList names;
            for (const auto& s : m_specs)
                names << s.name;
            *error = QStringLiteral("unknown parameter '%1'; valid parameters: %2").arg(name, names.join(u", "));
        }
        return false;
    }
    const auto v = m_specs[i].parse(text, error);
    if (!v)
        return false;
    m_values[std::size_t(i)] = *v;
    return true;
}

bool ParamSet::assign(const QString& keyEqualsValue, QString* error)
{
    const auto eq = keyEqualsValue.indexOf(QLatin1Char('='));
    if (eq <= 0) {
        if (error)
            *error = QStringLiteral("expected key=value, got '%1'").arg(keyEqualsValue);
        return false;
    }
    return set(keyEqualsValue.left(eq).trimmed(), keyEqualsValue.mid(eq + 1), error);
}

void ParamSet::setValue(int index, std::int64_t value)
{
    const auto& s = m_specs[index];
    m_values[std::size_t(index)] = std::clamp(value, s.min, s.max);
}

std::vector<std::pair<QString, QString>> ParamSet::asText() const
{
    std::vector<std::pair<QString, QString>> out;
    for (int i = 0; i < m_specs.size(); ++i)
        out.emplace_back(m_specs[i].name, m_specs[i].format(m_values[std::size_t(i)]));
    return out;
}

} // namespace tl
