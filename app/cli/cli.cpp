#include "cli.h"

#include <charts/resultchart.h>
#include <document/resultshtml.h>
#include <models/timelinedata.h>
#include <scenarios/registry.h>
#include <session/run.h>
#include <session/tracedsource.h>
#include <timeline/timelineexport.h>
#include <trace/exporters.h>
#include <trace/outputfile.h>

#include <QApplication>
#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <poll.h>
#include <sys/stat.h>
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

constexpr qulonglong kMinRecordingMib = RecordingBudget::kMinBytes >> 20;
qulonglong maxRecordingMib()
{
    return RecordingBudget::machineBytes() >> 20;
}

const char* const kUsageLine
    = "usage: threadlab [--list | describe NAME | run NAME [options] | trace [options] -- PROGRAM | --help | "
      "--version]   (no command: the app)";

const char* const kUsageText = R"(Usage:
  threadlab                      launch the desktop app
  threadlab --list               list the scenarios
  threadlab describe NAME        show a scenario's parameters
  threadlab run NAME [options]   run a scenario headless
  threadlab trace [options] -- PROGRAM [ARGS...]
                                 run your own program and record its threads, locks and processes

Run options:
  --set KEY=VALUE   set a parameter (repeatable); see `threadlab describe NAME`
  --png FILE        write the timeline as PNG: a slide with the outcome, lanes, counters and legend
  --svg FILE        write the timeline as SVG
  --pdf FILE        write the timeline as PDF
  --size WxH        the images' size in pixels (default 1920x1080; 640x360 to 7680x4320)
  --trace FILE      write a Chrome Trace Event JSON (Perfetto UI, chrome://tracing)
  --perfetto FILE   write a Perfetto protobuf trace (.pftrace; opens in Perfetto UI, any run size)
  --csv FILE        write every event as CSV
  --spans-csv FILE  write one CSV row per state span (worker, state, start, end, lock)
  --chart FILE      write the run's results chart as PNG or SVG (sweep, ipc-throughput, threads-vs-processes)
  --json            print a JSON summary on stdout
  --recording-memory MIB
                    memory for the run's events, in MiB (default: a quarter of RAM, here %1; 16 to %2)
                    Events are only dropped, and shown as gaps, once it is spent
  FILE `-` is standard output for --svg, --trace and --csv (the summary then goes to stderr).
  A file is replaced only by a complete new one; a repeated option: the last one wins.

Trace options: the outputs above and --json, --size, --recording-memory. The program's standard input,
  output and error are its own; the summary goes to stderr (--json: to stdout, after the program's output).
  trace exits with the program's status (128+N when signal N ended it), 126/127 when it cannot be started,
  1 when ThreadLab failed, 2 for bad usage. A first SIGINT/SIGTERM/SIGHUP is passed to the program; a
  second one ends it (SIGTERM, then SIGKILL after 2 s).

Other options:
  -h, --help        show this help
  -v, --version     show the version

Exit codes: 0 success, 1 the run or an output failed, 2 bad usage (before anything runs),
128+N stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP; the run still stops cleanly).
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

// Levenshtein distance: how many single-character edits turn `a` into `b`.
qsizetype editDistance(QStringView a, QStringView b)
{
    std::vector<qsizetype> row(std::size_t(b.size()) + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        row[std::size_t(j)] = j;
    for (qsizetype i = 1; i <= a.size(); ++i) {
        qsizetype diagonal = row[0];
        row[0] = i;
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const qsizetype above = row[std::size_t(j)];
            row[std::size_t(j)]
                = std::min({ above + 1, row[std::size_t(j - 1)] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1) });
            diagonal = above;
        }
    }
    return row.back();
}

// The candidate `word` was most likely meant to be: one it begins, or the nearest within a typo's reach.
QString closest(const QString& word, const QStringList& candidates)
{
    QString best;
    qsizetype bestDistance = std::max<qsizetype>(2, word.size() / 3) + 1;
    const QString lower = word.toLower(); // RACE-COUNTER meant race-counter
    for (const QString& c : candidates) {
        const qsizetype d = lower.size() >= 2 && c.startsWith(lower) ? 0 : editDistance(lower, c);
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    return best;
}

QString didYouMean(const QString& suggestion)
{
    return suggestion.isEmpty() ? QString() : QStringLiteral(" (did you mean '%1'?)").arg(suggestion);
}

int unknownScenario(const QString& name)
{
    return usageError(QStringLiteral("unknown scenario '%1'%2; available: %3")
                          .arg(name, didYouMean(closest(name, scenarioNames())), scenarioNames().join(u", ")));
}

int unknownCommand(const QString& command)
{
    const QStringList commands { QStringLiteral("run"), QStringLiteral("trace"), QStringLiteral("describe"),
        QStringLiteral("list"), QStringLiteral("--list"), QStringLiteral("--help"), QStringLiteral("--version") };
    // `threadlab race-counter` most likely meant to run it.
    const QString suggestion
        = scenarioNames().contains(command) ? QStringLiteral("run ") + command : closest(command, commands);
    usageError(QStringLiteral("unknown command '%1'%2").arg(command, didYouMean(suggestion)));
    err() << kUsageLine << "\n";
    return kUsage;
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
    const auto shownDefault
        = [](const ParamSpec& p) { return p.format(p.defaultValue) + (p.unit.isEmpty() ? QString() : u' ' + p.unit); };
    qsizetype nameWidth = 0;
    qsizetype defaultWidth = 0;
    for (const auto& p : info.params) {
        nameWidth = std::max(nameWidth, p.name.size());
        defaultWidth = std::max(defaultWidth, shownDefault(p).size());
    }
    for (const auto& p : info.params) {
        out() << "  " << p.name.leftJustified(nameWidth + 2) << p.typeName().leftJustified(9) << "default "
              << shownDefault(p).leftJustified(defaultWidth + 2) << "valid " << p.validValues()
              << (p.live ? "  (changeable while running)" : "") << "\n"
              << "      " << p.help << "\n";
    }
    return kOk;
}

// One --png/--csv/... option: where its output goes. Rows of a table, so a new output is one more row.
struct OutputOption {
    QString name;
    bool streams = false; // "-" means standard output
    QString path = {};
};

// An output must be a regular file we can replace, checked before the run starts, so a long run never ends
// in a failed write, and nothing replaces a FIFO, a device, a kernel file or a file another user's link
// points at (resolveOutputTarget says which links are followed).
bool checkWritable(const OutputOption& option, QString* error)
{
    const QString& path = option.path;
    if (isStandardOutput(path)) {
        if (option.streams)
            return true;
        *error = QStringLiteral("%1 cannot write to standard output (-): give a file name").arg(option.name);
        return false;
    }
    QString reason;
    if (resolveOutputTarget(path, &reason))
        return true;
    *error = QStringLiteral("%1 %2: %3").arg(option.name, path, reason);
    return false;
}

// The termination signals main() catches from its first instruction arrive here through a pipe (see
// app/main.cpp): a signal that came before the run or during it stops the run through its normal path.
class StopSignals {
public:
    explicit StopSignals(int fd)
        : m_fd(fd)
    {
    }
    // The signal that asked to stop (waiting up to `timeoutMs` for one), or 0.
    int wait(int timeoutMs)
    {
        if (m_signal.load() != 0)
            return m_signal.load();
        pollfd p { m_fd, POLLIN, 0 };
        unsigned char signo = 0;
        if (m_fd >= 0 && ::poll(&p, 1, timeoutMs) > 0 && ::read(m_fd, &signo, 1) == 1)
            m_signal.store(signo);
        else if (m_fd < 0 && timeoutMs > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(timeoutMs));
        return m_signal.load();
    }

    // The next signal to arrive (waiting up to `timeoutMs`), each one once, or 0: for passing them on.
    int next(int timeoutMs)
    {
        pollfd p { m_fd, POLLIN, 0 };
        unsigned char signo = 0;
        if (m_fd < 0 || ::poll(&p, 1, timeoutMs) <= 0 || ::read(m_fd, &signo, 1) != 1)
            return 0;
        int none = 0;
        m_signal.compare_exchange_strong(none, signo);
        return signo;
    }

private:
    int m_fd;
    std::atomic<int> m_signal { 0 };
};

QString signalName(int signo)
{
    switch (signo) {
    case SIGINT:
        return QStringLiteral("SIGINT");
    case SIGTERM:
        return QStringLiteral("SIGTERM");
    case SIGHUP:
        return QStringLiteral("SIGHUP");
    }
    return QStringLiteral("signal %1").arg(signo);
}

int interrupted(const QString& name, int signo, const char* when)
{
    err() << "threadlab: " << name << " was interrupted by " << signalName(signo) << when << "\n";
    return 128 + signo;
}

// A repeated option: the last one wins, and stderr says so once.
class RepeatedOptions {
public:
    void given(const QString& option, const QString& value)
    {
        if (!m_times.contains(option))
            m_order << option;
        ++m_times[option];
        m_last[option] = value;
    }
    void note() const
    {
        for (const QString& option : m_order)
            if (const int n = m_times[option]; n > 1)
                err() << "threadlab: note: " << option << " given "
                      << (n == 2 ? QStringLiteral("twice") : QStringLiteral("%1 times").arg(n)) << "; using "
                      << m_last[option] << "\n";
    }

private:
    QStringList m_order;
    QHash<QString, int> m_times;
    QHash<QString, QString> m_last;
};

void printSummary(const QJsonObject& json, QTextStream& o)
{
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

// What `threadlab run NAME [options]` asks for, read from its arguments before anything runs.
struct RunRequest {
    QString name;
    ParamSet params;
    bool json = false;
    ui::ImageOptions image;
    std::array<OutputOption, 8> outputs { OutputOption { QStringLiteral("--png") },
        OutputOption { QStringLiteral("--svg"), true }, OutputOption { QStringLiteral("--pdf") },
        OutputOption { QStringLiteral("--trace"), true }, OutputOption { QStringLiteral("--csv"), true },
        OutputOption { QStringLiteral("--chart") }, OutputOption { QStringLiteral("--perfetto"), true },
        OutputOption { QStringLiteral("--spans-csv"), true } };

    // The output `option` names (--png...), or null.
    OutputOption* output(QStringView option)
    {
        const auto found
            = std::find_if(outputs.begin(), outputs.end(), [&](const auto& o) { return o.name == option; });
        return found == outputs.end() ? nullptr : &*found;
    }
    const QString& path(QStringView option) const
    {
        return std::find_if(outputs.begin(), outputs.end(), [&](const auto& o) { return o.name == option; })->path;
    }
    // How many outputs go to standard output.
    qsizetype toStdout() const
    {
        return std::count_if(outputs.begin(), outputs.end(), [](const auto& o) { return isStandardOutput(o.path); });
    }
};

// `--option VALUE` or `--option=VALUE`.
bool isOption(const QString& arg, QStringView option)
{
    return arg.section(u'=', 0, 0) == option;
}

// The value of the option at args[i], given after '=' or as the next argument (which `i` then moves past);
// empty when there is none.
QString optionValue(const QStringList& args, int& i)
{
    if (args[i].contains(u'='))
        return args[i].section(u'=', 1);
    return i + 1 < args.size() ? args[++i] : QString();
}

int chooseRecordingMemory(const QString& text)
{
    bool ok = false;
    const qulonglong mib = text.trimmed().toULongLong(&ok);
    if (!ok || mib < kMinRecordingMib || mib > maxRecordingMib())
        return usageError(QStringLiteral("--recording-memory: '%1' is not a number of MiB from %2 to %3 (the "
                                         "machine's RAM)")
                              .arg(text)
                              .arg(kMinRecordingMib)
                              .arg(maxRecordingMib()));
    RecordingBudget::choose(std::size_t(mib) << 20);
    return kOk;
}

int setImageSize(const QString& text, ui::ImageOptions& image)
{
    const auto size = ui::parseImageSize(text.trimmed());
    if (!size)
        return usageError(QStringLiteral("--size: '%1' is not WIDTHxHEIGHT with a width of %2..%3 and a "
                                         "height of %4..%5 pixels (e.g. 1920x1080)")
                              .arg(text)
                              .arg(ui::ImageOptions::kMinSize.width())
                              .arg(ui::ImageOptions::kMaxSize.width())
                              .arg(ui::ImageOptions::kMinSize.height())
                              .arg(ui::ImageOptions::kMaxSize.height()));
    image.size = *size;
    return kOk;
}

int setParameter(const QString& keyEqualsValue, RunRequest& request)
{
    if (keyEqualsValue.startsWith(u"--"))
        return usageError(QStringLiteral("--set needs KEY=VALUE, not the option '%1'").arg(keyEqualsValue));
    QString error;
    if (!request.params.assign(keyEqualsValue, &error))
        return usageError(QStringLiteral("%1: %2").arg(request.name, error));
    return kOk;
}

int setOutputPath(const QString& file, OutputOption& output)
{
    if (file.isEmpty())
        return usageError(QStringLiteral("%1 needs a file name").arg(output.name));
    // `--png --json` forgot the file name: writing an image called "--json" would lose the summary.
    if (file.startsWith(u'-') && !isStandardOutput(file))
        return usageError(QStringLiteral("%1 needs a file name, not '%2' (for a file of that name, "
                                         "write ./%2)")
                              .arg(output.name, file));
    output.path = file;
    return kOk;
}

// Reads the options after the scenario's name into `request`: kOk, or the usage error's exit code.
int parseRunOptions(const QStringList& args, RunRequest& request, RepeatedOptions& repeated)
{
    for (int i = 1; i < args.size(); ++i) {
        const QString& a = args[i];
        OutputOption* const output = request.output(a.section(u'=', 0, 0));
        int rc = kOk;
        if (a == u"--json") {
            request.json = true;
        } else if (isOption(a, u"--recording-memory")) {
            const QString text = optionValue(args, i);
            rc = chooseRecordingMemory(text);
            repeated.given(QStringLiteral("--recording-memory"), text);
        } else if (isOption(a, u"--size")) {
            const QString text = optionValue(args, i);
            rc = setImageSize(text, request.image);
            repeated.given(QStringLiteral("--size"), text);
        } else if (isOption(a, u"--set")) {
            const QString kv = optionValue(args, i);
            rc = setParameter(kv, request);
            repeated.given(QStringLiteral("--set ") + kv.section(u'=', 0, 0).trimmed(), kv.trimmed());
        } else if (output) {
            const QString file = optionValue(args, i);
            rc = setOutputPath(file, *output);
            repeated.given(output->name, file);
        } else {
            rc = usageError(QStringLiteral("unknown option '%1' for run (see --help)").arg(a));
        }
        if (rc != kOk)
            return rc;
    }
    return kOk;
}

// The outputs asked for can be written, before the run starts: kOk, or the usage error's exit code.
int checkOutputs(const RunRequest& request, const ScenarioInfo& info)
{
    const auto toStdout = request.toStdout();
    if (toStdout > 1 || (toStdout == 1 && request.json))
        return usageError(QStringLiteral("only one of --json and the outputs given as '-' can use standard output"));
    for (const auto& output : request.outputs) {
        QString error;
        if (!output.path.isEmpty() && !checkWritable(output, &error))
            return usageError(error);
    }
    if (!request.path(u"--chart").isEmpty() && info.chart != ScenarioInfo::Chart::Drawn) {
        QStringList charted;
        for (const auto& s : scenarioCatalog())
            if (s.chart == ScenarioInfo::Chart::Drawn)
                charted << s.name;
        return usageError(QStringLiteral("--chart: %1 has no results chart; these scenarios have one: %2")
                              .arg(request.name, charted.join(u", ")));
    }
    return kOk;
}

// The signal that asked to stop before the run started, or 0. One sent before now may still be pending for
// main()'s signal thread, not yet in the pipe (on a busy machine that thread may not have run yet): then
// wait for it to arrive.
int signalBeforeStart(StopSignals& stop)
{
    sigset_t pending;
    const bool signalPending = ::sigpending(&pending) == 0
        && (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1
            || sigismember(&pending, SIGHUP) == 1);
    return stop.wait(signalPending ? 10000 : 0);
}

// Runs to the end, showing progress on a terminal. SIGINT, SIGTERM or SIGHUP stops the run cleanly: threads
// joined, children ended, IPC objects removed by the run's own stop path; the outputs of what ran are still
// written.
RunOutcome executeUntilStopped(Run& run, StopSignals& stop, bool showProgress)
{
    run.setBatchSink(
        [showProgress](const TraceBatchPtr& b) {
            if (showProgress)
                std::fprintf(stderr, "\r  running… %.1f s, %llu events", double(b->nowNs - b->startNs) / 1e9,
                    static_cast<unsigned long long>(b->totalEvents));
        },
        BatchContent::ProgressOnly);
    std::atomic<bool> done { false };
    std::thread watcher([&] {
        while (!done.load())
            if (stop.wait(50) != 0) {
                run.requestStop();
                return;
            }
    });
    RunOutcome outcome = run.execute();
    done.store(true);
    watcher.join();
    if (showProgress)
        std::fprintf(stderr, "\r\033[K");
    return outcome;
}

// Writes every output asked for, in the options table's order: one that fails (a full disk, a Chrome JSON too
// large for DevTools) does not cost the others. `error` names each that failed.
bool writeOutputs(const RunRequest& request, const RunOutcome& outcome, QString* error)
{
    bool written = true;
    QStringList errors;
    const auto note = [&](bool ok, const QString& why) {
        if (!ok)
            errors << why;
        written = written && ok;
    };
    const Trace& trace = *outcome.trace;
    const QString& png = request.path(u"--png");
    const QString& svg = request.path(u"--svg");
    const QString& pdf = request.path(u"--pdf");
    if (!png.isEmpty() || !svg.isEmpty() || !pdf.isEmpty()) {
        const auto data = ui::TimelineData::fromTrace(trace);
        const std::pair<const QString&, ui::ImageFormat> images[]
            = { { png, ui::ImageFormat::Png }, { svg, ui::ImageFormat::Svg }, { pdf, ui::ImageFormat::Pdf } };
        for (const auto& [file, format] : images) {
            QString why;
            if (!file.isEmpty())
                note(ui::exportTimelineFile(data, data.startNs, data.endNs, format, file, &why, request.image), why);
        }
    }
    const std::pair<QStringView, TraceFormat> traces[]
        = { { u"--trace", TraceFormat::ChromeJson }, { u"--csv", TraceFormat::Csv },
              { u"--perfetto", TraceFormat::Perfetto }, { u"--spans-csv", TraceFormat::SpansCsv } };
    for (const auto& [option, format] : traces) {
        QString why;
        if (!request.path(option).isEmpty())
            note(writeTraceFile(trace, format, request.path(option), &why), why);
    }
    if (QString why; !request.path(u"--chart").isEmpty())
        note(ui::exportChartFile(outcome.results[u"chart"].toObject(), request.path(u"--chart"), &why), why);
    if (error)
        *error = errors.join(QStringLiteral("; "));
    return written;
}

// The summary as JSON on stdout or as text (on stderr when an output took stdout). False, with the reason
// added to `error`, when the JSON could not be written.
bool reportSummary(const RunRequest& request, const QJsonObject& summary, bool written, QString& error)
{
    if (!request.json) {
        QTextStream& o = request.toStdout() > 0 ? err() : out();
        printSummary(summary, o);
        o << "\n" << summary[u"account"].toString() << "\n";
        return true;
    }
    // Unbuffered and checked: a summary that could not be written (a full disk, a closed stdout) fails the
    // command instead of vanishing.
    const QByteArray text = QJsonDocument(summary).toJson(QJsonDocument::Indented);
    QString jsonError;
    if (writeOutput(
            QStringLiteral("-"), [&](QIODevice& o) { return o.write(text) == text.size(); }, &jsonError))
        return true;
    error = written ? jsonError : error + QStringLiteral("; ") + jsonError;
    return false;
}

// What the window says under the results, for scripts too: the same words, from the same figures, in the
// summary and as the images' headline.
void addAccount(const RunOutcome& outcome, QJsonObject& summary, RunRequest& request)
{
    const ui::RunAccount account = ui::runAccount(outcome, summary);
    request.image.headline = account.headline;
    summary.insert(QStringLiteral("headline"), account.headline);
    summary.insert(QStringLiteral("account"), account.text());
}

int runExitCode(const QString& name, const RunOutcome& outcome, bool written, StopSignals& stop)
{
    if (const int signo = stop.wait(0))
        return interrupted(name, signo, "");
    if (!written)
        return kRunFailed;
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

// `program`: argv[0], for the application object, made only once the command line holds (a refused one is
// answered in a few milliseconds, without loading fonts and platform).
int runScenario(const QStringList& args, StopSignals& stop, char* program)
{
    if (args.isEmpty())
        return usageError(QStringLiteral("run needs a scenario name; available: %1").arg(scenarioNames().join(u", ")));
    RunRequest request;
    request.name = args.first();
    auto scenario = createScenario(request.name);
    if (!scenario)
        return unknownScenario(request.name);
    const ScenarioInfo info = scenario->info();
    request.params = ParamSet(info.params);
    RepeatedOptions repeated;
    if (const int rc = parseRunOptions(args, request, repeated); rc != kOk)
        return rc;
    if (const int rc = checkOutputs(request, info); rc != kOk)
        return rc;
    repeated.note();
    if (const int signo = signalBeforeStart(stop))
        return interrupted(request.name, signo, " before it started");

    // Headless whatever the environment: exports paint with fonts, and charts are widgets (QApplication).
    qputenv("QT_QPA_PLATFORM", "offscreen");
    int qtArgc = 1;
    QApplication app(qtArgc, &program);
    Run run(std::make_unique<ScenarioSource>(std::move(scenario)), request.params);
    const RunOutcome outcome = executeUntilStopped(run, stop, !request.json && isatty(STDERR_FILENO));

    QString error;
    QJsonObject summary = summaryJson(outcome);
    addAccount(outcome, summary, request);
    bool written = writeOutputs(request, outcome, &error);
    written = reportSummary(request, summary, written, error) && written;
    out().flush();
    err().flush();
    if (!written)
        err() << "threadlab: " << error << "\n";
    return runExitCode(request.name, outcome, written, stop);
}

// A signal for the program: passed on, except a terminal's Ctrl+C, which reached the program already (it is
// in the terminal's foreground process group with ThreadLab).
void passOn(TracedProgram& program, int signo)
{
    const bool fromTerminal = signo == SIGINT && isatty(STDIN_FILENO) && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp();
    if (!fromTerminal)
        program.signal(signo);
}

// Runs the program to its end. The first signal is passed to it; a second one stops the trace, which ends
// the program (SIGTERM, then SIGKILL).
RunOutcome traceUntilEnded(Run& run, TracedProgram& program, StopSignals& stop)
{
    std::atomic<bool> done { false };
    std::thread watcher([&] {
        int received = 0;
        while (!done.load())
            if (const int signo = stop.next(10); signo != 0) {
                if (++received == 1)
                    passOn(program, signo);
                else
                    run.requestStop();
            }
    });
    RunOutcome outcome = run.execute();
    done.store(true);
    watcher.join();
    return outcome;
}

// The program's own status, as a shell reports it: its exit code, or 128+N when signal N ended it.
int programExitCode(const ProcessInfo& program)
{
    if (program.state == ProcessInfo::State::Exited)
        return program.exitCode;
    return program.signal != 0 ? 128 + program.signal : kRunFailed;
}

// `threadlab trace [options] -- PROGRAM ARGS...`
int traceProgram(const QStringList& args, StopSignals& stop, char* program)
{
    qsizetype dashes = args.indexOf(QStringLiteral("--"));
    if (dashes < 0) // the command may follow the options without "--" when it does not look like one
        dashes = std::find_if(args.begin(), args.end(), [](const QString& a) { return !a.startsWith(u'-'); })
            - args.begin() - 1;
    TraceRequest trace;
    trace.command = args.mid(dashes + 1);
    if (trace.command.isEmpty())
        return usageError(QStringLiteral("trace needs a program: threadlab trace [options] -- PROGRAM [ARGS...]"));
    RunRequest request;
    request.name = QString::fromLatin1(kTraceSourceName);
    RepeatedOptions repeated;
    const QStringList options = QStringList { request.name } + args.mid(0, std::max<qsizetype>(dashes, 0));
    if (std::any_of(options.begin(), options.end(), [](const QString& a) { return isOption(a, u"--set"); }))
        return usageError(QStringLiteral("trace has no parameters (--set is for scenarios)"));
    if (const int rc = parseRunOptions(options, request, repeated); rc != kOk)
        return rc;
    auto source = std::make_unique<TracedProgramSource>(trace);
    if (const int rc = checkOutputs(request, source->info()); rc != kOk)
        return rc;
    if (const ProgramCheck check = checkProgram(trace); check.exitCode != 0) {
        err() << "threadlab: trace: " << check.reason << "\n";
        return check.exitCode;
    }
    repeated.note();
    if (const int signo = signalBeforeStart(stop))
        return interrupted(request.name, signo, " before it started");

    // The program starts sooner without a GUI application (its fonts take tens of milliseconds to load): made
    // only when an image is asked for.
    qputenv("QT_QPA_PLATFORM", "offscreen");
    int qtArgc = 1;
    const bool images
        = !request.path(u"--png").isEmpty() || !request.path(u"--svg").isEmpty() || !request.path(u"--pdf").isEmpty();
    const std::unique_ptr<QCoreApplication> app = images ? std::make_unique<QApplication>(qtArgc, &program)
                                                         : std::make_unique<QCoreApplication>(qtArgc, &program);
    TracedProgram& traced = source->program();
    Run run(std::move(source), ParamSet());
    run.setBatchSink([](const TraceBatchPtr&) {}, BatchContent::ProgressOnly);
    const RunOutcome outcome = traceUntilEnded(run, traced, stop);

    QString error;
    QJsonObject summary = summaryJson(outcome);
    const ProcessInfo& ended = traced.program();
    summary.insert(QStringLiteral("program"), trace.command.join(u' '));
    if (ended.state == ProcessInfo::State::Exited)
        summary.insert(QStringLiteral("exit_code"), ended.exitCode);
    else if (ended.signal != 0)
        summary.insert(QStringLiteral("signal"), ::tl::signalName(ended.signal));
    addAccount(outcome, summary, request);
    bool written = writeOutputs(request, outcome, &error);
    if (!request.json) { // the program's standard output is its own
        printSummary(summary, err());
        err() << "\n" << summary[u"account"].toString() << "\n";
    } else {
        written = reportSummary(request, summary, written, error) && written;
    }
    out().flush();
    err().flush();
    if (!written)
        err() << "threadlab: " << error << "\n";
    if (outcome.status == RunOutcome::Status::Failed) {
        err() << "threadlab: trace failed: " << outcome.error << "\n";
        return kRunFailed;
    }
    return written ? programExitCode(ended) : kRunFailed;
}

} // namespace

namespace {
// Qt's own GUI options (-style fusion, -platform xcb, -reverse, ...), and whether each takes a value.
struct QtOption {
    std::string_view name;
    bool takesValue;
};
constexpr QtOption kQtOptions[] = { { "-platform", true }, { "-platformpluginpath", true }, { "-platformtheme", true },
    { "-plugin", true }, { "-qwindowgeometry", true }, { "-qwindowicon", true }, { "-qwindowtitle", true },
    { "-reverse", false }, { "-session", true }, { "-display", true }, { "-geometry", true }, { "-style", true },
    { "-stylesheet", true }, { "-widgetcount", false }, { "-qmljsdebugger", true }, { "-dialogs", true },
    { "-fontengine", true }, { "-nograb", false }, { "-dograb", false }, { "-title", true }, { "-name", true },
    { "-icon", true } };

// The Qt option `arg` names (-style or -style=fusion), or null.
const QtOption* qtOption(std::string_view arg)
{
    const std::string_view name = arg.substr(0, arg.find('='));
    const auto* found
        = std::find_if(std::begin(kQtOptions), std::end(kQtOptions), [&](const QtOption& o) { return o.name == name; });
    return found == std::end(kQtOptions) ? nullptr : found;
}
}

bool wantsCli(int argc, char** argv)
{
    // Qt's options go to the app; any other first argument is a command, and one we do not know is a usage
    // error, never a window.
    return argc >= 2 && !qtOption(argv[1]);
}

const char* qtOptionMissingItsValue(int argc, char** argv)
{
    const char* last = argc > 1 ? argv[argc - 1] : nullptr;
    const QtOption* option = last ? qtOption(last) : nullptr;
    return option && option->takesValue && option->name == last ? last : nullptr;
}

int main(int argc, char** argv, int stopSignalFd)
{
    // Qt reads its own options (-platform NAME, -style NAME...) anywhere in the arguments it is given, and
    // aborts on a platform it cannot load: a command's arguments are ours alone, so Qt gets none of them.
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    const QString command = args.takeFirst();

    if (command == u"-h" || command == u"--help") {
        out() << "ThreadLab " << QCoreApplication::applicationVersion() << " — see threads and processes at work\n\n"
              << QString::fromUtf8(kUsageText).arg(RecordingBudget::defaultBytes() >> 20).arg(maxRecordingMib());
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
    if (command == u"run") {
        StopSignals stop(stopSignalFd);
        return runScenario(args, stop, argv[0]);
    }
    if (command == u"trace") {
        StopSignals stop(stopSignalFd);
        return traceProgram(args, stop, argv[0]);
    }
    return unknownCommand(command);
}

} // namespace tl::cli
