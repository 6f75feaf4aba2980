#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../processes/childcontext.h"
#include "../processes/children.h"
#include "../processes/ipcregistry.h"
#include "../processes/objectserver.h"
#include "../processes/sharedsegment.h"
#include "../processes/sharedsemaphore.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <csignal>

namespace tl {

namespace {
enum Increment : int { OnServer, GetThenSet };
// Shared-memory updates each client times for comparison (one update per round trip is too few to time).
constexpr int kSharedMemoryUpdates = 2000;

const QStringList kIncrementChoices { QStringLiteral("on-server"), QStringLiteral("get-then-set") };

struct Params {
    int children = 0;
    std::int64_t updates = 0;
    Increment increment = OnServer;
    bool killOne = false;
};
const ParamTable<Params> kParams {
    param(&Params::children,
        ParamSpec::integer(QStringLiteral("children"), 1, 1, 16, QStringLiteral("Child processes using the proxies"))),
    param(&Params::updates,
        ParamSpec::integer(QStringLiteral("updates"), 1, 1, 100'000,
            QStringLiteral("How many times each child runs the seed's update (set new_key, count += 1, append)"))),
    param(&Params::increment,
        ParamSpec::choice(QStringLiteral("increment"), kIncrementChoices, OnServer,
            QStringLiteral("on-server: count += 1 is one request the server carries out; get-then-set: a get "
                           "and a set, two round trips, as d['count'] += 1 does through a Python proxy, "
                           "which loses updates when children interleave"))),
    param(&Params::killOne, Children::killOneParam()),
};

// What each client reports: the mean cost of one operation each way.
struct ClientReport {
    double managerOpNs = 0;
    double sharedMemoryOpNs = 0;
};
const ResultTable<ClientReport> kClientReport {
    result(&ClientReport::managerOpNs, QStringLiteral("manager_op_ns")),
    result(&ClientReport::sharedMemoryOpNs, QStringLiteral("shared_memory_op_ns")),
};

struct Results {
    QJsonObject dict; // the manager's, when it shut down
    QJsonArray list;
    // Means over the clients that reported:
    std::optional<double> managerOpUs;
    std::optional<double> sharedMemoryOpUs;
};
const ResultTable<Results> kResults {
    result(&Results::dict, QStringLiteral("dict")),
    result(&Results::list, QStringLiteral("list")),
    result(&Results::managerOpUs, QStringLiteral("manager_op_us")),
    result(&Results::sharedMemoryOpUs, QStringLiteral("shared_memory_op_us")),
};

// The seed's Manager: a server process owns a dictionary and a list; children change them through a proxy
// over a local socket, and each operation's cost is set beside the cost of the same update in shared memory.
class ManagerProxies final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("manager"),
            .title = QStringLiteral("Manager: shared objects in a server process"),
            .summary
            = QStringLiteral("Children update a dictionary and a list owned by a server process, through a proxy"),
            .topic = QStringLiteral("Child processes: Manager().dict() and .list() shared with children"),
            .params = kParams.specs(),
            .results = kResults.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        const int count = p.children;
        const QString updates = QString::number(p.updates);
        const QString& increment = kIncrementChoices[p.increment];
        const ScopedSocketPath socket(QStringLiteral("manager"));
        // For the comparison: one shared integer and its semaphore.
        const auto segment = SharedSegment::create(QStringLiteral("compare"), sizeof(std::int64_t));
        const auto semaphore = SharedSemaphore::create(QStringLiteral("compare"), 1);

        Children children(ctx, info().name);
        QJsonObject final;
        // True when the run is being stopped: by a stop request, or by a signal that reached the manager process
        // before this one noticed it (Ctrl+C signals the whole process group). Either way the run was interrupted,
        // and a manager that went away is the consequence, not a failure.
        auto interrupted = [&] {
            children.waitForAll();
            for (int c = 0; c < children.count() && !ctx.stopRequested(); ++c) {
                const ProcessInfo child = children.info(c);
                if (child.state == ProcessInfo::State::Crashed
                    && (child.signal == SIGINT || child.signal == SIGTERM || child.signal == SIGHUP))
                    ctx.requestStop();
            }
            return ctx.stopRequested();
        };
        runAsWorker(ctx, children.parentWorker(), [&](std::uint32_t, Recorder& rec) {
            try {
                startObjectServer(children,
                    { QStringLiteral("Manager"), QStringLiteral("server"), { socket.path() }, {},
                        QStringLiteral("serves {'counter': 0} and []"), {}, {} },
                    socket.path());
                ObjectProxy proxy(socket.path());
                proxy.call({ { QStringLiteral("op"), QStringLiteral("set") },
                    { QStringLiteral("key"), QStringLiteral("counter") }, { QStringLiteral("value"), 0 } });
                for (int i = 0; i < count && !ctx.stopRequested(); ++i)
                    children.start({ QStringLiteral("Child-%1").arg(i), QStringLiteral("client"),
                        { socket.path(), updates, increment }, {},
                        QStringLiteral("proxies to the dict and list; updates=%1, increment=%2")
                            .arg(updates, increment),
                        { segment->key(), semaphore->key() }, {} });
                rec.record(EventKind::Sleeping);
                children.waitUntil([&] { return children.ended(1, children.count()); }, p.killOne); // the clients
                rec.record(EventKind::Running);
                if (!children.info(0).ended() && !ctx.stopRequested())
                    final = proxy.call({ { QStringLiteral("op"), QStringLiteral("shutdown") } });
                interrupted(); // also when the signal ended the children without an error on this side
            } catch (const std::runtime_error&) {
                children.stopAll(); // the server serves until told to stop: the wait below would never end
                if (!interrupted())
                    throw;
            }
        });

        double managerNs = 0;
        double sharedNs = 0;
        int reported = 0;
        for (int c = 1; c < children.count(); ++c) {
            const QJsonObject report = children.report(c);
            if (report.isEmpty())
                continue;
            const ClientReport client = kClientReport.fromObject(report);
            managerNs += client.managerOpNs;
            sharedNs += client.sharedMemoryOpNs;
            ++reported;
        }
        const Results r = kResults.fromObject(final); // the server's reply holds the dict and the list
        kResults.report(ctx,
            {
                .dict = r.dict,
                .list = r.list,
                .managerOpUs = reported > 0 ? std::optional(managerNs / reported / 1e3) : std::nullopt,
                .sharedMemoryOpUs = reported > 0 ? std::optional(sharedNs / reported / 1e3) : std::nullopt,
            });
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        if (role == u"server")
            return runObjectServer(child, child.arg(0), 0);
        if (role != u"client")
            return Scenario::runChild(role, child);

        const int updates = child.arg(1).toInt();
        const bool getThenSet = kIncrementChoices.indexOf(child.arg(2)) == GetThenSet;
        Recorder& rec = child.recorder();
        ObjectProxy proxy(child.arg(0));
        auto call = [&](const QJsonObject& request) {
            rec.record(EventKind::IoWait); // a round trip to the manager
            QJsonObject reply = proxy.call(request);
            rec.record(EventKind::Running);
            return reply;
        };
        const QString counter = QStringLiteral("counter");
        int calls = 0;
        const std::int64_t started = clock::monotonicNs();
        for (int u = 0; u < updates; ++u) {
            // shared_dict['new_key'] = 'added by child'; shared_dict['counter'] += 1; shared_list.append(...)
            call(
                { { QStringLiteral("op"), QStringLiteral("set") }, { QStringLiteral("key"), QStringLiteral("new_key") },
                    { QStringLiteral("value"), QStringLiteral("added by child") } });
            qint64 value = 0;
            if (getThenSet) {
                value = call({ { QStringLiteral("op"), QStringLiteral("get") },
                            { QStringLiteral("key"), counter } })[u"value"]
                            .toInteger()
                    + 1;
                call({ { QStringLiteral("op"), QStringLiteral("set") }, { QStringLiteral("key"), counter },
                    { QStringLiteral("value"), value } });
                calls += 2;
            } else {
                value = call(
                    { { QStringLiteral("op"), QStringLiteral("incr") }, { QStringLiteral("key"), counter } })[u"value"]
                            .toInteger();
                calls += 1;
            }
            call({ { QStringLiteral("op"), QStringLiteral("append") },
                { QStringLiteral("value"), QStringLiteral("Process-%1").arg(value) } });
            calls += 2;
        }
        ClientReport report;
        report.managerOpNs = double(clock::monotonicNs() - started) / calls;

        // The same kind of update through shared memory and a semaphore, for comparison.
        const auto segment = SharedSegment::attach(child.sharedKey(0));
        const auto semaphore = SharedSemaphore::open(child.sharedKey(1));
        auto* shared = std::launder(static_cast<std::int64_t*>(segment->data()));
        const std::int64_t sharedStarted = clock::monotonicNs();
        for (int i = 0; i < kSharedMemoryUpdates; ++i) {
            semaphore->acquire();
            ++*shared;
            semaphore->release();
        }
        report.sharedMemoryOpNs = double(clock::monotonicNs() - sharedStarted) / kSharedMemoryUpdates;
        kClientReport.report(child, report);
        return 0;
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Params p = kParams.fromSummary(summary);
        const Results r = kResults.fromSummary(summary);
        const QJsonObject& dict = r.dict;
        const qint64 expected = p.children * p.updates;
        QStringList entries;
        for (auto it = dict.begin(); it != dict.end(); ++it)
            entries << QStringLiteral("'%1': %2")
                           .arg(it.key(),
                               it.value().isString() ? u'\'' + it.value().toString() + u'\''
                                                     : QString::number(it.value().toInteger()));
        QString text = QStringLiteral("The manager process ended with <b>{%1}</b> and a list of %2 entries. ")
                           .arg(entries.join(QStringLiteral(", ")).toHtmlEscaped())
                           .arg(r.list.size());
        const qint64 counter = dict[u"counter"].toInteger();
        if (counter == expected)
            text += QStringLiteral("The counter is exactly the %1 updates the children made. ")
                        .arg(groupedNumber(expected));
        else
            text += QStringLiteral(
                "The children made %1 updates but the counter says %2: <b>%3 were lost</b>, because a "
                "get and a set are two requests and another child's update fell in between. ")
                        .arg(groupedNumber(expected), groupedNumber(counter), groupedNumber(expected - counter));
        if (r.managerOpUs)
            text += QStringLiteral("Each proxy operation took %1 µs (a round trip to another process); the same update "
                                   "in shared memory under a semaphore took %2 µs, %3× less.")
                        .arg(*r.managerOpUs, 0, 'f', 1)
                        .arg(r.sharedMemoryOpUs.value_or(0), 0, 'f', 2)
                        .arg(*r.managerOpUs / std::max(r.sharedMemoryOpUs.value_or(0), 1e-9), 0, 'f', 0);
        return text;
    }
};
}

std::unique_ptr<Scenario> makeManagerProxies()
{
    return std::make_unique<ManagerProxies>();
}

} // namespace tl
