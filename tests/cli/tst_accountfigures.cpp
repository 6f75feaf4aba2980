#include "../support/cli.h"

#include <scenarios/registry.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>
#include <cmath>
#include <functional>
#include <map>

using namespace tl::test;

// Every figure the account states is one of the run's own. Each scenario runs as a script runs it
// (`threadlab run NAME --json`); every number in the summary's `account` must be a number of the same summary
// (its parameters, results, workers, processes) in some unit, a total of one figure over a table's rows, a
// share of two of the workers' totals, or one of the few figures a scenario derives, written here again from the
// summary's own numbers. A sentence that states a number the run did not measure fails here, whatever the number.
class TestAccountFigures : public QObject {
    Q_OBJECT
private slots:
    void everyFigureIsTheRunsOwn_data();
    void everyFigureIsTheRunsOwn();
    void numbersAreReadAsShown();
};

namespace {
// A number as the text shows it: its value and how many decimals it was rounded to.
struct Shown {
    double value;
    int decimals;
    QString text;
};

QList<Shown> numbersIn(const QString& text)
{
    // Digits not glued to a word ("Thread-1", "lock-A", "x86_64", "v2"); groups of three after a narrow
    // no-break space ("100 000").
    static const QRegularExpression number(
        QStringLiteral(R"((?<![\w\-.])(\d{1,3}(?:\x{202F}\d{3})+|\d+)(?:\.(\d+))?(?![\w\-]))"));
    QList<Shown> shown;
    for (auto it = number.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        const QString whole = m.captured(1).remove(QChar(0x202F));
        const QString decimals = m.captured(2);
        shown.append({ (whole + (decimals.isEmpty() ? QString() : u'.' + decimals)).toDouble(), int(decimals.size()),
            m.captured(0) });
    }
    return shown;
}

// Every number in a JSON value, and for each array of objects the total and count of each numeric field.
void collect(const QJsonValue& v, std::vector<double>& out)
{
    if (v.isDouble()) {
        out.push_back(v.toDouble());
    } else if (v.isString()) {
        // Numbers inside strings: a child's report ("{'counter': 1}"), a moment's label.
        for (const Shown& s : numbersIn(v.toString()))
            out.push_back(s.value);
    } else if (v.isArray()) {
        // Totals of each figure over the rows, in all and by each label ("gaps": lost by worker), and how
        // many rows each label has.
        const QJsonArray a = v.toArray();
        out.push_back(double(a.size()));
        std::map<QString, double> totals;
        for (const auto& e : a) {
            collect(e, out);
            const QJsonObject o = e.toObject();
            for (auto figure = o.begin(); figure != o.end(); ++figure) {
                if (!figure->isDouble())
                    continue;
                totals[figure.key()] += figure->toDouble();
                for (auto label = o.begin(); label != o.end(); ++label)
                    if (label->isString())
                        totals[figure.key() + u'@' + label.key() + u'=' + label->toString()] += figure->toDouble();
            }
            for (auto label = o.begin(); label != o.end(); ++label)
                if (label->isString())
                    totals[u'#' + label.key() + u'=' + label->toString()] += 1;
        }
        for (const auto& [key, total] : totals)
            out.push_back(total);
    } else if (v.isObject()) {
        const QJsonObject o = v.toObject();
        out.push_back(double(o.size()));
        for (auto it = o.begin(); it != o.end(); ++it) {
            for (const Shown& s : numbersIn(it.key())) // keys that are figures: payload sizes
                out.push_back(s.value);
            collect(*it, out);
        }
    }
}

// The units a figure is stored in and shown in: ns, µs, ms, s; shares as percent; bytes as KiB, MiB, GiB.
constexpr double kUnits[]
    = { 1, 1e-3, 1e-6, 1e-9, 1e3, 1e6, 100, 1.0 / 1024, 1.0 / (1024 * 1024), 1.0 / (1024 * 1024 * 1024) };

bool shownAs(double figure, const Shown& shown)
{
    // Rounded to the digits shown, whichever way the text rounded (half a unit of the last digit either side).
    const double half = 0.5 * std::pow(10.0, -shown.decimals) * (1 + 1e-9);
    for (const double unit : kUnits)
        if (std::abs(std::abs(figure * unit) - shown.value) <= half)
            return true;
    return false;
}

// Shares of the workers' totals: time waiting over time elapsed, and so on, for every pair of figures.
std::vector<double> workerShares(const QJsonObject& summary)
{
    std::map<QString, double> totals;
    for (const auto& w : summary[u"workers"].toArray()) {
        const QJsonObject o = w.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            if (it->isDouble() && it.key() != u"tid")
                totals[it.key()] += it->toDouble();
    }
    std::vector<double> shares;
    for (const auto& [a, totalA] : totals)
        for (const auto& [b, totalB] : totals)
            if (a != b && totalB > 0)
                shares.push_back(totalA / totalB);
    return shares;
}

// Figures a scenario's account derives from its summary: the derivation again, from the summary's numbers.
using Derived = std::function<std::vector<double>(const QJsonObject& summary)>;

double num(const QJsonObject& o, const char* path)
{
    QJsonValue v = o;
    for (const QString& key : QString::fromLatin1(path).split(u'.'))
        v = v.toObject()[key];
    return v.toDouble();
}

double workersTotal(const QJsonObject& summary, const char* key)
{
    double total = 0;
    for (const auto& w : summary[u"workers"].toArray())
        total += w.toObject()[QLatin1String(key)].toDouble();
    return total;
}

const std::map<QString, Derived>& derivedFigures()
{
    static const std::map<QString, Derived> derived {
        // How many workers keep the lock busy: one cycle's work and hold over the hold.
        { QStringLiteral("lock-contention"),
            [](const QJsonObject& s) {
                return std::vector<double> { (num(s, "params.work_us") + num(s, "params.hold_us"))
                    / num(s, "params.hold_us") };
            } },
        // A proxy operation against a shared-memory update.
        { QStringLiteral("manager"),
            [](const QJsonObject& s) {
                return std::vector<double> { num(s, "results.manager_op_us") / num(s, "results.shared_memory_op_us") };
            } },
        // What a process costs against a thread, to start and per shared update.
        { QStringLiteral("threads-vs-processes"),
            [](const QJsonObject& s) {
                return std::vector<double> { num(s, "results.processes.start_us") / num(s, "results.threads.start_us"),
                    num(s, "results.processes.update_ns") / num(s, "results.threads.update_ns") };
            } },
        // The threads' CPU time per item, and their CPU time in all.
        { QStringLiteral("producer-consumer"),
            [](const QJsonObject& s) {
                const double cpu = workersTotal(s, "cpu_ns");
                return std::vector<double> { cpu, cpu / num(s, "results.consumed") };
            } },
    };
    return derived;
}

QStringList quickRun(const QString& scenario)
{
    // Parameters that keep each run short; the defaults elsewhere.
    static const std::map<QString, QStringList> quick {
        { QStringLiteral("race-counter"), { QStringLiteral("increments=20000") } },
        { QStringLiteral("lock-contention"), { QStringLiteral("iterations=200") } },
        { QStringLiteral("threads"), { QStringLiteral("sleep_ms=50") } },
        { QStringLiteral("child-processes"), { QStringLiteral("work_ms=50") } },
        { QStringLiteral("queue-pipe"), { QStringLiteral("produce_us=1000") } },
        { QStringLiteral("cores"), { QStringLiteral("number=5000") } },
        { QStringLiteral("failures"), { QStringLiteral("task_ms=10") } },
        { QStringLiteral("producer-consumer"), { QStringLiteral("items=50") } },
    };
    QStringList args { QStringLiteral("run"), scenario, QStringLiteral("--json") };
    const auto it = quick.find(scenario);
    for (const QString& assignment : it == quick.end() ? QStringList() : it->second)
        args << QStringLiteral("--set") << assignment;
    return args;
}
}

void TestAccountFigures::everyFigureIsTheRunsOwn_data()
{
    QTest::addColumn<QString>("scenario");
    for (const auto& info : tl::scenarioCatalog())
        QTest::newRow(qPrintable(info.name)) << info.name;
}

void TestAccountFigures::everyFigureIsTheRunsOwn()
{
    QFETCH(QString, scenario);
    const CliResult r = runThreadlab(quickRun(scenario));
    QVERIFY2(r.code == 0, r.err.constData());
    QJsonObject summary = QJsonDocument::fromJson(r.out).object();
    const QString account = summary.take(QStringLiteral("account")).toString();
    summary.remove(QStringLiteral("headline")); // the account's own sentence
    QVERIFY2(!account.isEmpty(), r.out.constData());

    std::vector<double> figures;
    collect(summary, figures);
    for (const double share : workerShares(summary))
        figures.push_back(share);
    if (const auto it = derivedFigures().find(scenario); it != derivedFigures().end())
        for (const double d : it->second(summary))
            figures.push_back(d);

    QStringList unknown;
    for (const Shown& shown : numbersIn(account))
        if (std::none_of(figures.begin(), figures.end(), [&](double f) { return shownAs(f, shown); }))
            unknown << shown.text;
    QVERIFY2(unknown.isEmpty(),
        qPrintable(
            QStringLiteral("figures the run did not measure: %1\naccount: %2").arg(unknown.join(u", "), account)));
}

// The reader of the account above: how a number is cut out of a sentence.
void TestAccountFigures::numbersAreReadAsShown()
{
    const QList<Shown> shown = numbersIn(QStringLiteral("Thread-1 took 2.871 ms; 100\u202F000 increments, 8.9%, 3.75×, "
                                                        "[2, 4], lock-A, x86_64"));
    QCOMPARE(shown.size(), 6);
    QCOMPARE(shown[0].value, 2.871);
    QCOMPARE(shown[0].decimals, 3);
    QCOMPARE(shown[1].value, 100000.0);
    QCOMPARE(shown[2].value, 8.9);
    QCOMPARE(shown[3].value, 3.75);
    QCOMPARE(shown[4].value, 2.0);
    QCOMPARE(shown[5].value, 4.0);
    QVERIFY(shownAs(0.0891, { 8.9, 1, {} })); // a share shown as percent
    QVERIFY(shownAs(2'871'400, { 2.871, 3, {} })); // ns shown as ms
    QVERIFY(!shownAs(2'881'400, { 2.871, 3, {} }));
}

QTEST_GUILESS_MAIN(TestAccountFigures)
#include "tst_accountfigures.moc"
