#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <optional>
#include <vector>

namespace tl {

enum class ParamType { Integer, Boolean, Choice };

// One parameter a scenario takes. The CLI's --set parsing, `describe`, and the GUI's form all come from this.
// Every value is held as an int64: the number, 0/1 for a boolean, the index for a choice, so that a live
// parameter is one atomic the workers can read each iteration.
struct ParamSpec {
    QString name;
    ParamType type = ParamType::Integer;
    std::int64_t defaultValue = 0;
    std::int64_t min = 0;
    std::int64_t max = 0;
    QStringList choices;
    QString help;
    QString unit; // shown after numbers: "µs", "ms"
    bool live = false; // may change while the scenario runs

    static ParamSpec integer(
        QString name, std::int64_t def, std::int64_t min, std::int64_t max, QString help, QString unit = {});
    static ParamSpec boolean(QString name, bool def, QString help);
    static ParamSpec choice(QString name, QStringList choices, int def, QString help);
    ParamSpec& changeableWhileRunning()
    {
        live = true;
        return *this;
    }

    QString typeName() const; // "integer", "boolean", "choice"
    QString validValues() const; // "1..64", "true|false", "none|mutex|atomic"
    QString format(std::int64_t value) const; // as a user would type it
    // Parses user text; on failure returns nullopt and an error naming the parameter and its valid values.
    std::optional<std::int64_t> parse(const QString& text, QString* error) const;
};

// Validated values for one scenario's parameters, in the order the scenario declared them.
class ParamSet {
public:
    ParamSet() = default;
    explicit ParamSet(QList<ParamSpec> specs);

    const QList<ParamSpec>& specs() const { return m_specs; }
    int indexOf(const QString& name) const;
    std::int64_t value(int index) const { return m_values[std::size_t(index)]; }
    std::int64_t value(const QString& name) const;

    // `key=value` or (key, value): false with a message naming the parameter and what it accepts.
    bool set(const QString& name, const QString& text, QString* error);
    bool assign(const QString& keyEqualsValue, QString* error);
    // Sets an already-parsed value, clamped to the spec. Used by the GUI form.
    void setValue(int index, std::int64_t value);

    std::vector<std::pair<QString, QString>> asText() const;

private:
    QList<ParamSpec> m_specs;
    std::vector<std::int64_t> m_values;
};

} // namespace tl
