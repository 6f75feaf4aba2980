#include "scenario.h"

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
enum Increment { OnServer, GetThenSet };
// Shared-memory updates each client times for comparison (one update per round trip is too few to time).
constexpr int kSharedMemoryUpdates = 2000;

// The seed's Manager: a server process owns a dictionary and a list; children change them through a proxy
// over a local socket, and each operation's cost is set beside the cost of the same update in shared memory.
class ManagerProxies final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("manager"),
            .title = QStringLiteral("Manager: shared objects in a server process"),
            .summary = QStringLiteral("Children update a dictionary and a list owned by a server process, through a proxy"),
            .topic = QStringLiteral("Child processes: Manager().dict() and .list() shared with children"),
            .params = {
                ParamSpec::integer(
                    QStringLiteral("children"), 1, 1, 16, QStringLiteral("Child processes using the proxies")),
                ParamSpec::integer(QStringLiteral("updates"), 1, 1, 100'000,
                    QStringLiteral("How many times each child runs the seed's update (set new_key, count += 1, append)")),
                ParamSpec::choice(QStringLiteral("increment"),
                    { QStringLiteral("on-server"), QStringLiteral("get-then-set") }, OnServer,
                    QStringLiteral("on-server: count += 1 is one request the server carries out; get-then-set: a get "
                                   "and a set, two round trips, as d['count'] += 1 does through a Python proxy, "
                                   "which loses updates when children interleave")),
                Children::killOneParam(),
            },
            .results = { QStringLiteral("dict"), QStringLiteral("list"), QStringLiteral("manager_op_us"),
                QStringLiteral("shared_memory_op_us") },
        };
    }

    void run(RunContext& ctx) override
    {
        const int count = int(ctx.value(QStringLiteral("children")));
        const QString updates = QString::number(ctx.value(QStringLiteral("updates")));
        const QString increment = ctx.params().specs()[ctx.params().indexOf(QStringLiteral("increment"))].format(
            ctx.value(QStringLiteral("increment")));
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
                const bool killOne = ctx.value(QStringLiteral("kill_one")) != 0;
                children.waitUntil([&] { return children.ended(1, children.count()); }, killOne); // the clients
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
            managerNs += report[u"manager_op_ns"].toDouble();
            sharedNs += report[u"shared_memory_op_ns"].toDouble();
            ++reported;
        }
        ctx.setResult(QStringLiteral("dict"), final[u"dict"].toObject());
        ctx.setResult(QStringLiteral("list"), final[u"list"].toArray());
        if (reported > 0) {
            ctx.setResult(QStringLiteral("manager_op_us"), managerNs / reported / 1e3);
            ctx.setResult(QStringLiteral("shared_memory_op_us"), sharedNs / reported / 1e3);
        }
    }

    int runChild(const QString& role, ChildContext& child) override
    {
        if (role == u"server")
            return runObjectServer(child, child.arg(0), 0);
        if (role != u"client")
            return Scenario::runChild(role, child);

        const int updates = child.arg(1).toInt();
        const bool getThenSet = child.arg(2) == u"get-then-set";
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
        child.report(QStringLiteral("manager_op_ns"), double(clock::monotonicNs() - started) / calls);

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
        child.report(
            QStringLiteral("shared_memory_op_ns"), double(clock::monotonicNs() - sharedStarted) / kSharedMemoryUpdates);
        return 0;
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const QJsonObject params = summary[u"params"].toObject();
        const QJsonObject results = summary[u"results"].toObject();
        const QJsonObject dict = results[u"dict"].toObject();
        const qint64 expected = params[u"children"].toInteger() * params[u"updates"].toInteger();
        QStringList entries;
        for (auto it = dict.begin(); it != dict.end(); ++it)
            entries << QStringLiteral("'%1': %2")
                           .arg(it.key(),
                               it.value().isString() ? u'\'' + it.value().toString() + u'\''
                                                     : QString::number(it.value().toInteger()));
        QString text = QStringLiteral("The manager process ended with <b>{%1}</b> and a list of %2 entries. ")
                           .arg(entries.join(QStringLiteral(", ")).toHtmlEscaped())
                           .arg(results[u"list"].toArray().size());
        const qint64 counter = dict[u"counter"].toInteger();
        if (counter == expected)
            text += QStringLiteral("The counter is exactly the %1 updates the children made. ")
                        .arg(groupedNumber(expected));
        else
            text += QStringLiteral(
                "The children made %1 updates but the counter says %2: <b>%3 were lost</b>, because a "
                "get and a set are two requests and another child's update fell in between. ")
                        .arg(groupedNumber(expected), groupedNumber(counter), groupedNumber(expected - counter));
        if (results.contains(u"manager_op_us"))
            text += QStringLiteral("Each proxy operation took %1 µs (a round trip to another process); the same update "
                                   "in shared memory under a semaphore took %2 µs, %3× less.")
                        .arg(results[u"manager_op_us"].toDouble(), 0, 'f', 1)
                        .arg(results[u"shared_memory_op_us"].toDouble(), 0, 'f', 2)
                        .arg(results[u"manager_op_us"].toDouble()
                                / std::max(results[u"shared_memory_op_us"].toDouble(), 1e-9),
                            0, 'f', 0);
        return text;
    }
};
}

std::unique_ptr<Scenario> makeManagerProxies()
{
    return std::make_unique<ManagerProxies>();
}

} // namespace tl
