#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <thread>
#include <unistd.h>

namespace tl {

namespace {
enum Passing : int { Positional, Keyword, Complex };

// The seed's process_data example: a user record and a list of settings.
QJsonObject complexRecord()
{
    return {
        { QStringLiteral("user"),
            QJsonObject { { QStringLiteral("name"), QStringLiteral("Alice") }, { QStringLiteral("age"), 30 },
                { QStringLiteral("email"), QStringLiteral("alice@example.com") } } },
        { QStringLiteral("settings"),
            QJsonArray { QStringLiteral("debug=True"), QStringLiteral("log_level=info"),
                QStringLiteral("max_connections=100") } },
    };
}

// A payload whose bytes differ along its length, so a checksum catches a byte lost or moved.
QByteArray makePayload(qsizetype bytes)
{
    QByteArray data(bytes, Qt::Uninitialized);
    for (qsizetype i = 0; i < bytes; ++i)
        data[i] = char((quint64(i) * 2654435761u) >> 13);
    return data;
}

// An argument as the child's code would use it: a number when it is one.
QJsonValue typed(const QString& arg)
{
    bool isNumber = false;
    const qint64 n = arg.toLongLong(&isNumber);
    return isNumber ? QJsonValue(n) : QJsonValue(arg);
}

quint64 fnv1a(QByteArrayView data)
{
    quint64 h = 14695981039346656037ull;
    for (const char c : data)
        h = (h ^ quint8(c)) * 1099511628211ull;
    return h;
}

struct Params {
    int children = 0;
    StartMethod start = StartMethod::Fork;
    Passing passing = Positional;
    qsizetype payloadKb = 0;
    std::int64_t workMs = 0;
    bool killOne = false;
};
const ParamTable<Params> kParams {
    param(&Params::children,
        ParamSpec::integer(QStringLiteral("children"), 3, 1, 32, QStringLiteral("Child processes to start"))),
    param(&Params::start, Children::startParam()),
    param(&Params::passing,
        ParamSpec::choice(QStringLiteral("pass"),
            { QStringLiteral("positional"), QStringLiteral("keyword"), QStringLiteral("complex") }, Positional,
            QStringLiteral("How the parameters travel: positional arguments (name, number), keyword arguments "
                           "(--name=, --number=), or a complex record (a user with name, age, email and a "
                           "list of settings) serialised to JSON and written to the child's input"))),
    param(&Params::payloadKb,
        ParamSpec::integer(QStringLiteral("payload_kb"), 0, 0, std::int64_t { 256 } * 1024,
            QStringLiteral("A payload given to every child with its parameters: copied into each by spawn, "
                           "inherited without a copy by fork"),
            QStringLiteral("KiB"))),
    param(&Params::workMs,
        ParamSpec::integer(QStringLiteral("work_ms"), 500, 0, 600'000,
            QStringLiteral("How long each child works (sleeps) after reporting, so it can be watched or killed"),
            QStringLiteral("ms"))),
    param(&Params::killOne, Children::killOneParam()),
};

// A row of `children`: what a child reported (name and state are the parent's; a child that never reported
// has only those).
struct ChildRow {
    std::optional<QString> name;
    std::optional<qint64> pid;
    std::optional<qint64> ppid;
    std::optional<QString> state;
    std::optional<QJsonObject> received;
    std::optional<qint64> payloadBytes;
    std::optional<QString> payloadChecksum;
    std::optional<double> inputMs;
    std::optional<QJsonObject> result; // the seed's processing of a complex record
    // The parent's figures: how the child started, how long until its first instruction, what was copied.
    std::optional<QString> start;
    std::optional<double> startMs;
    std::optional<qint64> copiedBytes;
};
const ResultTable<ChildRow> kChildRow {
    result(&ChildRow::name, QStringLiteral("name")),
    result(&ChildRow::pid, QStringLiteral("pid")),
    result(&ChildRow::ppid, QStringLiteral("ppid")),
    result(&ChildRow::state, QStringLiteral("state")),
    result(&ChildRow::received, QStringLiteral("received")),
    result(&ChildRow::payloadBytes, QStringLiteral("payload_bytes")),
    result(&ChildRow::payloadChecksum, QStringLiteral("payload_checksum")),
    result(&ChildRow::inputMs, QStringLiteral("input_ms")),
    result(&ChildRow::result, QStringLiteral("result")),
    result(&ChildRow::start, QStringLiteral("start")),
    result(&ChildRow::startMs, QStringLiteral("start_ms")),
    result(&ChildRow::copiedBytes, QStringLiteral("copied_bytes")),
};

struct Results {
    qint64 parentPid = 0;
    QString start;
    double startMs = 0; // the mean over the children that reported for duty
    qint64 copiedBytes = 0; // into all children together
    bool ppidsMatch = false;
    bool payloadsIntact = false;
    QJsonArray children; // of ChildRow
};
const ResultTable<Results> kResults {
    result(&Results::parentPid, QStringLiteral("parent_pid")),
    result(&Results::start, QStringLiteral("start")),
    result(&Results::startMs, QStringLiteral("start_ms")),
    result(&Results::copiedBytes, QStringLiteral("copied_bytes")),
    result(&Results::ppidsMatch, QStringLiteral("ppids_match")),
    result(&Results::payloadsIntact, QStringLiteral("payloads_intact")),
    result(&Results::children, QStringLiteral("children")),
};

// The seed's child processes: start N children that report their PID, their parent's PID and the
// parameters they received (positional, keyword or a complex record), optionally with a large payload.
class ChildProcesses final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("child-processes"),
            .title = QStringLiteral("Child processes and their parameters"),
            .summary
            = QStringLiteral("Start child processes that report their PID, their parent's PID and what they received"),
            .topic = QStringLiteral("Child processes: Process(target, args, kwargs), os.getpid(), os.getppid()"),
            .params = kParams.specs(),
            .results = kResults.keys() + kChildRow.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const int count = p.children;
        const Passing passing = p.passing;
        const QByteArray payload = makePayload(p.payloadKb * 1024);
        const QString workMs = QString::number(p.workMs);
        // The first line of every child's input, then the payload: one buffer all children share (a forked
        // child reads it in place).
        const QByteArray header
            = passing == Complex ? QJsonDocument(complexRecord()).toJson(QJsonDocument::Compact) : QByteArray();
        const QByteArray input = header + '\n' + payload;

        Children children(ctx, info().name, p.start,
            [this](const QString& role, ChildContext& child) { return runChild(role, child); });
        runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder& rec) {
            for (int i = 0; i < count && !ctx.stopRequested(); ++i) {
                const QString name = QStringLiteral("Child-%1").arg(i);
                const QString number = QString::number(i * 10);
                ChildSpec spec { name, QStringLiteral("child"), { workMs }, input, {}, {}, {} };
                switch (passing) {
                case Positional:
                    spec.args << name << number;
                    spec.shownParams = QStringLiteral("args=('%1', %2)").arg(name, number);
                    break;
                case Keyword:
                    spec.args << QStringLiteral("--name=") + name << QStringLiteral("--number=") + number;
                    spec.shownParams = QStringLiteral("kwargs={'name': '%1', 'number': %2}").arg(name, number);
                    break;
                case Complex:
                    spec.shownParams = QString::fromUtf8(header);
                    break;
                }
                if (!payload.isEmpty())
                    spec.shownParams += QStringLiteral(" + %1 KiB payload").arg(payload.size() / 1024);
                children.start(spec);
            }
            rec.record(EventKind::Sleeping); // like p.join(): the parent waits for its children
            children.waitForAll(p.killOne);
            rec.record(EventKind::Running);
        });

        const QString expectedChecksum = QString::number(fnv1a(payload), 16);
        Results r { .parentPid = qint64(getpid()),
            .start = Children::startName(p.start),
            .startMs = 0,
            .copiedBytes = 0,
            .ppidsMatch = true,
            .payloadsIntact = true,
            .children = {} };
        int started = 0;
        for (int i = 0; i < children.count(); ++i) {
            const ProcessInfo info = children.info(i);
            QJsonObject report = children.report(i);
            const ChildRow row = kChildRow.fromObject(report);
            report.insert(kChildRow.key(&ChildRow::name), info.name);
            report.insert(kChildRow.key(&ChildRow::state), info.stateText());
            report.insert(kChildRow.key(&ChildRow::start), info.start);
            if (info.startNs >= 0) {
                report.insert(kChildRow.key(&ChildRow::startMs), double(info.startNs) / 1e6);
                r.startMs += double(info.startNs) / 1e6;
                ++started;
            }
            report.insert(kChildRow.key(&ChildRow::copiedBytes), qint64(info.copiedBytes));
            r.copiedBytes += std::max<qint64>(info.copiedBytes, 0);
            if (row.ppid) {
                r.ppidsMatch = r.ppidsMatch && *row.ppid == r.parentPid;
                r.payloadsIntact
                    = r.payloadsIntact && row.payloadBytes == payload.size() && row.payloadChecksum == expectedChecksum;
            }
            r.children.append(report);
        }
        r.startMs = started > 0 ? r.startMs / started : 0;
        kResults.report(ctx, r);
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        if (role != u"child")
            return Scenario::runChild(role, child);
        const std::int64_t readStarted = clock::monotonicNs();
        const QByteArray input = child.readInput();
        const double inputMs = double(clock::monotonicNs() - readStarted) / 1e6;
        const qsizetype newline = input.indexOf('\n');
        const QByteArrayView header = QByteArrayView(input).first(std::max<qsizetype>(newline, 0));
        const QByteArrayView payload = QByteArrayView(input).sliced(newline + 1);

        ChildRow row;
        row.pid = qint64(getpid());
        row.ppid = qint64(getppid());
        QJsonObject received;
        for (const QString& arg : child.args().mid(1)) {
            if (arg.startsWith(u"--")) {
                const auto eq = arg.indexOf(u'=');
                received.insert(arg.mid(2, eq - 2), typed(arg.mid(eq + 1)));
            } else {
                received.insert(received.isEmpty() ? QStringLiteral("name") : QStringLiteral("number"), typed(arg));
            }
        }
        if (!header.isEmpty()) {
            received = QJsonDocument::fromJson(header.toByteArray()).object();
            // The seed's processing of the record.
            const QJsonObject user = received[u"user"].toObject();
            row.result = QJsonObject { { QStringLiteral("processed_by"), qint64(getpid()) },
                { QStringLiteral("user_age_in_months"), user[u"age"].toInt() * 12 },
                { QStringLiteral("settings_count"), received[u"settings"].toArray().size() } };
        }
        row.received = received;
        row.payloadBytes = qint64(payload.size());
        row.payloadChecksum = QString::number(fnv1a(payload), 16);
        row.inputMs = inputMs;
        kChildRow.report(child, row);

        child.recorder().record(EventKind::Sleeping);
        std::this_thread::sleep_for(std::chrono::milliseconds(child.arg(0).toLongLong()));
        child.recorder().record(EventKind::Running);
        return 0;
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Results r = kResults.fromSummary(summary);
        const QJsonArray processes = summary[u"processes"].toArray();
        QStringList started;
        QStringList crashed;
        for (const auto& p : processes) {
            const QJsonObject o = p.toObject();
            if (o[u"name"].toString() == u"ThreadLab")
                continue;
            started << QStringLiteral("%1 (pid %2)").arg(o[u"name"].toString()).arg(o[u"pid"].toInteger());
            if (o.contains(u"signal"))
                crashed << QStringLiteral("%1 ended by %2").arg(o[u"name"].toString(), o[u"signal"].toString());
        }
        QString text = QStringLiteral("ThreadLab (pid %1) started %2 child processes: %3. ")
                           .arg(r.parentPid)
                           .arg(started.size())
                           .arg(started.join(u", "));
        text += r.ppidsMatch
            ? QStringLiteral("Every child that reported gave <b>its parent's PID as %1</b>, ThreadLab's. ")
                  .arg(r.parentPid)
            : QStringLiteral("<b>Some child reported another parent PID.</b> ");
        if (!r.children.isEmpty()) {
            const ChildRow first = kChildRow.fromObject(r.children.first().toObject());
            text += QStringLiteral("%1 received %2. ")
                        .arg(first.name.value_or(QString()),
                            QString::fromUtf8(
                                QJsonDocument(first.received.value_or(QJsonObject())).toJson(QJsonDocument::Compact))
                                .toHtmlEscaped());
            const qint64 bytes = first.payloadBytes.value_or(0);
            const qint64 copied = first.copiedBytes.value_or(-1);
            const double ms = first.inputMs.value_or(0);
            const QString intact = r.payloadsIntact ? QStringLiteral("every payload arrived intact")
                                                    : QStringLiteral("<b>a payload arrived damaged</b>");
            if (bytes > 0 && copied == 0 && r.start == u"fork")
                text += QStringLiteral("Its %1 KiB payload was <b>not copied</b> (0 bytes through a pipe): the child "
                                       "read the parent's own bytes, inherited copy-on-write, in %2 ms; %3. ")
                            .arg(groupedNumber(bytes / 1024))
                            .arg(ms, 0, 'f', 1)
                            .arg(intact);
            else if (bytes > 0 && copied > 0)
                text += QStringLiteral("Copying its %1 KiB payload into the child (%2 bytes through a pipe) took %3 ms "
                                       "(%4 MB/s); %5. ")
                            .arg(groupedNumber(bytes / 1024), groupedNumber(copied))
                            .arg(ms, 0, 'f', 1)
                            .arg(ms > 0 ? double(bytes) / 1e3 / ms : 0.0, 0, 'f', 0)
                            .arg(intact);
        }
        if (r.startMs > 0)
            text += (r.start == u"fork"
                    ? QStringLiteral("Started by <b>fork</b>, a child took %1 ms on average from the fork to its "
                                     "own first instruction: a copy of ThreadLab as it was, no new program. ")
                    : QStringLiteral("Started by <b>spawn</b>, a child took %1 ms on average from the spawn to "
                                     "its own first instruction: a new ThreadLab program, loaded and set up. "))
                        .arg(r.startMs, 0, 'f', 1);
        if (!crashed.isEmpty())
            text += QStringLiteral("<b>%1</b>; the others carried on. ").arg(crashed.join(u", "));
        text += r.start != u"fork"
            ? QStringLiteral("Arguments are copied into a spawned child, never shared: a change the child makes stays "
                             "in the child.")
            : QStringLiteral("A forked child shares the parent's pages until one of them writes to one, which is then "
                             "copied: a change the child makes stays in the child.");
        return text;
    }
};
}

std::unique_ptr<Scenario> makeChildProcesses()
{
    return std::make_unique<ChildProcesses>();
}

} // namespace tl
