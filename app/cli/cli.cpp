#include "cli.h"

#include <charts/resultchart.h>
#include <models/timelinedata.h>
#include <run/run.h>
#include <scenarios/registry.h>
#include <timeline/timelineexport.h>
#include <trace/exporters.h>

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>
#include <unistd.h>

namespace tl::cli {

namespace {

constexpr int kOk = 0;
constexpr int kRunFailed = 1;
constexpr int kUsage = 2;

QTextStream& out()
{
    static QTextStream s(stdout);
    return s;
}
QTextStream& err()
{
    static QTextStream s(stderr);
    return s;
}

const char* const kUsageText = R"(Usage:
  threadlab                      launch the desktop app
  threadlab --list               list the scenarios
  threadlab describe NAME        show a scenario's parameters
  threadlab run NAME [options]   run a scenario headless

Run options:
  --set KEY=VALUE   set a parameter (repeatable); see `threadlab describe NAME`
  --png FILE        write the timeline as PNG (1920 pixels wide)
  --svg FILE        write the timeline as SVG
  --pdf FILE        write the timeline as PDF
  --trace FILE      write a Chrome Trace Event JSON (Perfetto UI, chrome://tracing)
  --perfetto FILE   write a Perfetto protobuf trace (.pftrace; opens in Perfetto UI, any run size)
  --csv FILE        write every event as CSV
  --spans-csv FILE  write one CSV row per state span (worker, state, start, end, lock)
  --chart FILE      write the run's results chart as PNG or SVG (pools' speed-ups, sweep, ...)
  --json            print a JSON summary on stdout

Other options:
  -h, --help        show this help
  -v, --version     show the version

Exit codes: 0 success, 1 the run failed, 2 bad usage.
)";

int usageError(const QString& message)
{
    err() << "threadlab: " << message << "\n";
    err().flush();
    return kUsage;
}

QStringList scenarioNames()
{
    QStringList names;
    for (const auto& info : scenarioCatalog())
        names << info.name;
    return names;
}

int unknownScenario(const QString& name)
{
    return usageError(QStringLiteral("unknown scenario '%1'; available: %2").arg(name, scenarioNames().join(u", ")));
}

int listScenarios()
{
    const auto catalog = scenarioCatalog();
    qsizetype width = 0;
    for (const auto& info : catalog)
        width = std::max(width, info.name.size());
    for (const auto& info : catalog)
        out() << info.name.leftJustified(width + 2) << info.summary << "\n";
    return kOk;
}

int describe(const QString& name)
{
    const auto scenario = createScenario(name);
    if (!scenario)
        return unknownScenario(name);
    const ScenarioInfo info = scenario->info();
    out() << info.name << " — " << info.title << "\n"
          << info.summary << "\nFrom: " << info.topic << "\n\nParameters:\n";
    qsizetype width = 0;
    for (const auto& p : info.params)
        width = std::max(width, p.name.size());
    for (const auto& p : info.params) {
        out() << "  " << p.name.leftJustified(width + 2) << p.typeName().leftJustified(9) << "default "
              << (p.format(p.defaultValue) + (p.unit.isEmpty() ? QString() : u' ' + p.unit)).leftJustified(12)
              << "valid " << p.validValues() << (p.live ? "  (changeable while running)" : "") << "\n"
              << "      " << p.help << "\n";
    }
    return kOk;
}

// An output path must be writable before the run starts, so a long run never ends in a failed write.
bool checkWritable(const QString& option, const QString& path, QString* error)
{
    const QFileInfo file(path);
    const QFileInfo dir(file.absolutePath());
    if (file.isDir())
        *error = QStringLiteral("%1 %2: is a directory").arg(option, path);
    else if (!dir.exists())
        *error = QStringLiteral("%1 %2: the directory %3 does not exist").arg(option, path, dir.filePath());
    else if (!dir.isWritable() || (file.exists() && !file.isWritable()))
        *error = QStringLiteral("%1 %2: not writable").arg(option, path);
    else
        return true;
    return false;
}

std::atomic<bool> g_interrupted { false };
extern "C" void onInterrupt(int)
{
    g_interrupted.store(true);
}

void printSummary(const QJsonObject& json)
{
    auto& o = out();
    o << json[u"scenario"].toString() << ": " << json[u"status"].toString() << " in "
      << QString::number(json[u"duration_ms"].toDouble(), 'f', 1) << " ms, " << json[u"events"].toInteger()
      << " events recorded, " << json[u"dropped_events"].toInteger() << " dropped\n";
    const QJsonObject results = json[u"results"].toObject();
    for (auto it = results.begin(); it != results.end(); ++it) {
        if (it->isArray() || it->isObject())
            o << "  " << it.key() << ": " << QJsonDocument::fromVariant(it->toVariant()).toJson(QJsonDocument::Compact)
              << "\n";
        else
            o << "  " << it.key() << ": " << it->toVariant().toString() << "\n";
    }
    for (const auto& w : json[u"workers"].toArray()) {
        QJsonObject figures = w.toObject();
        const QString name = figures.take(QStringLiteral("name")).toString();
        o << "  " << name.leftJustified(12);
        for (auto it = figures.begin(); it != figures.end(); ++it)
            o << " " << it.key() << "=" << it->toVariant().toString();
        o << "\n";
    }
}

int runScenario(const QStringList& args)
{
    if (args.isEmpty())
        return usageError(QStringLiteral("run needs a scenario name; available: %1").arg(scenarioNames().join(u", ")));
    const QString name = args.first();
    auto scenario = createScenario(name);
    if (!scenario)
        return unknownScenario(name);
    ParamSet params(scenario->info().params);

    QString png, svg, pdf, tracePath, csv, chart, perfetto, spansCsv;
    bool json = false;
    const QStringList fileOptions { QStringLiteral("--png"), QStringLiteral("--svg"), QStringLiteral("--pdf"),
        QStringLiteral("--trace"), QStringLiteral("--csv"), QStringLiteral("--chart"), QStringLiteral("--perfetto"),
        QStringLiteral("--spans-csv") };
    QString* const fileTargets[] = { &png, &svg, &pdf, &tracePath, &csv, &chart, &perfetto, &spansCsv };
    for (int i = 1; i < args.size(); ++i) {
        const QString& a = args[i];
        QString error;
        if (a == u"--json") {
            json = true;
        } else if (a == u"--set" || a.startsWith(u"--set=")) {
            const QString kv = a == u"--set" ? (i + 1 < args.size() ? args[++i] : QString()) : a.mid(6);
            if (!params.assign(kv, &error))
                return usageError(QStringLiteral("%1: %2").arg(name, error));
        } else if (const auto k = fileOptions.indexOf(a.section(u'=', 0, 0)); k >= 0) {
            QString path = a.contains(u'=') ? a.section(u'=', 1) : (i + 1 < args.size() ? args[++i] : QString());
            if (path.isEmpty())
                return usageError(QStringLiteral("%1 needs a file name").arg(fileOptions[k]));
            if (!checkWritable(fileOptions[k], path, &error))
                return usageError(error);
            *fileTargets[k] = path;
        } else {
            return usageError(QStringLiteral("unknown option '%1' for run (see --help)").arg(a));
        }
    }

    Run run(std::move(scenario), params);
    const bool showProgress = !json && isatty(STDERR_FILENO);
    run.setBatchSink(
        [showProgress](TraceBatchPtr b) {
            if (showProgress)
                std::fprintf(stderr, "\r  running… %.1f s, %llu events", double(b->nowNs - b->startNs) / 1e9,
                    static_cast<unsigned long long>(b->totalEvents));
        },
        BatchContent::ProgressOnly);
    // Ctrl+C stops the run cleanly (threads joined, outputs still written).
    g_interrupted.store(false);
    std::signal(SIGINT, onInterrupt);
    std::atomic<bool> done { false };
    std::thread watcher([&] {
        while (!done.load()) {
            if (g_interrupted.load())
                run.requestStop();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    const RunOutcome outcome = run.execute();
    done.store(true);
    watcher.join();
    std::signal(SIGINT, SIG_DFL);
    if (showProgress)
        std::fprintf(stderr, "\r\033[K");

    QString error;
    bool written = true;
    const Trace& trace = *outcome.trace;
    if (!png.isEmpty() || !svg.isEmpty() || !pdf.isEmpty()) {
        const auto data = ui::TimelineData::fromTrace(trace);
        const std::pair<const QString&, ui::ImageFormat> images[]
            = { { png, ui::ImageFormat::Png }, { svg, ui::ImageFormat::Svg }, { pdf, ui::ImageFormat::Pdf } };
        for (const auto& [path, format] : images)
            if (!path.isEmpty() && written)
                written = ui::exportTimelineFile(
                    data, data.startNs, data.endNs, format, path, &error, ui::defaultExportSize(data));
    }
    if (written && !tracePath.isEmpty())
        written = writeTraceFile(trace, TraceFormat::ChromeJson, tracePath, &error);
    if (written && !csv.isEmpty())
        written = writeTraceFile(trace, TraceFormat::Csv, csv, &error);
    if (written && !perfetto.isEmpty())
        written = writeTraceFile(trace, TraceFormat::Perfetto, perfetto, &error);
    if (written && !spansCsv.isEmpty())
        written = writeTraceFile(trace, TraceFormat::SpansCsv, spansCsv, &error);
    if (written && !chart.isEmpty())
        written = ui::exportChartFile(outcome.results[u"chart"].toObject(), chart, &error);

    const QJsonObject summary = summaryJson(outcome);
    if (json)
        out() << QJsonDocument(summary).toJson(QJsonDocument::Indented);
    else
        printSummary(summary);
    out().flush();
    if (!written) {
        err() << "threadlab: " << error << "\n";
        return kRunFailed;
    }
    if (outcome.status == RunOutcome::Status::Failed) {
        err() << "threadlab: " << name << " failed: " << outcome.error << "\n";
        return kRunFailed;
    }
    if (outcome.status == RunOutcome::Status::Stopped) {
        err() << "threadlab: " << name << " was interrupted\n";
        return kRunFailed;
    }
    return kOk;
}

} // namespace

bool wantsCli(int argc, char** argv)
{
    if (argc < 2)
        return false;
    const std::string_view a = argv[1];
    // Qt's own GUI options (-style, -platform, ...) go to the app; everything else is ours.
    return a == "run" || a == "describe" || a == "list" || a == "--list" || a == "-h" || a == "--help" || a == "-v"
        || a == "--version" || (a.size() > 1 && a[0] == '-' && a[1] == '-');
}

int main(int argc, char** argv)
{
    // Headless whatever the environment: exports paint with fonts, and charts are widgets (QApplication).
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStringList args = QCoreApplication::arguments().mid(1);
    const QString command = args.takeFirst();

    if (command == u"-h" || command == u"--help") {
        out() << "ThreadLab " << QCoreApplication::applicationVersion() << " — see threads and processes at work\n\n"
              << kUsageText;
        return kOk;
    }
    if (command == u"-v" || command == u"--version") {
        out() << "threadlab " << QCoreApplication::applicationVersion() << " (Qt " << qVersion() << ")\n";
        return kOk;
    }
    if (command == u"--list" || command == u"list")
        return listScenarios();
    if (command == u"describe")
        return args.isEmpty() ? usageError(
                   QStringLiteral("describe needs a scenario name; available: %1").arg(scenarioNames().join(u", ")))
                              : describe(args.first());
    if (command == u"run")
        return runScenario(args);
    return usageError(QStringLiteral("unknown command '%1' (see --help)").arg(command));
}

} // namespace tl::cli
