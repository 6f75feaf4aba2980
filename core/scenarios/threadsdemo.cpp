#include "resulttable.h"
#include "scenario.h"

#include "../params/paramtable.h"

#include "../processes/procfs.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <thread>

namespace tl {

namespace {
struct Params {
    int threads = 0;
    std::chrono::milliseconds sleep {};
    std::chrono::milliseconds stagger {};
};
const ParamTable<Params> kParams {
    param(
        &Params::threads, ParamSpec::integer(QStringLiteral("threads"), 5, 1, 64, QStringLiteral("Threads to start"))),
    param(&Params::sleep,
        ParamSpec::integer(QStringLiteral("sleep_ms"), 3000, 0, 600'000,
            QStringLiteral("How long each thread sleeps (the seed's time.sleep(3))"), QStringLiteral("ms"))),
    param(&Params::stagger,
        ParamSpec::integer(QStringLiteral("stagger_ms"), 0, 0, 10'000,
            QStringLiteral("Pause between starting one thread and the next, so they also end one by one"),
            QStringLiteral("ms"))),
};

// The seed calls display_threads() (threading.active_count() and enumerate()) before and after starting them.
struct Results {
    int activeCountBefore = 0;
    QJsonArray threadsBefore;
    int activeCount = 0;
    int maxActive = 0;
    QJsonArray threads; // right after starting them; live: as they run
};
const ResultTable<Results> kResults {
    result(&Results::activeCountBefore, QStringLiteral("active_count_before")),
    result(&Results::threadsBefore, QStringLiteral("threads_before")),
    result(&Results::activeCount, QStringLiteral("active_count")),
    result(&Results::maxActive, QStringLiteral("max_active")),
    result(&Results::threads, QStringLiteral("threads")),
};
// A row of `threads`.
struct ThreadRow {
    QString name;
    qint64 id = 0;
    QString state;
};
const ResultTable<ThreadRow> kThreadRow {
    result(&ThreadRow::name, QStringLiteral("name")),
    result(&ThreadRow::id, QStringLiteral("id")),
    result(&ThreadRow::state, QStringLiteral("state")),
};

// Python's name for the n-th Thread(target=cpu_water): "Thread-N (target)" since CPython 3.10.
QString pythonThreadName(int n)
{
    return QStringLiteral("Thread-%1 (cpu_water)").arg(n);
}

// "MainThread (id 12, running), ...": a listing as the account shows it.
QString listing(const QJsonArray& threads)
{
    QStringList listed;
    for (const auto& t : threads) {
        const ThreadRow row = kThreadRow.fromObject(t.toObject());
        listed << QStringLiteral("%1 (id %2, %3)").arg(row.name).arg(row.id).arg(row.state);
    }
    return listed.join(u", ");
}

QString threadsAlive(int n)
{
    return n == 1 ? QStringLiteral("1 thread was alive") : QStringLiteral("%1 threads were alive").arg(n);
}

// The seed's multithreading example: start named threads that sleep, and list the live ones before starting
// them, right after, and as they run.
class NamedThreads final : public Scenario {
public:
    ScenarioInfo info() const override
    {
        return {
            .name = QStringLiteral("threads"),
            .title = QStringLiteral("Threads and their names"),
            .summary
            = QStringLiteral("Start named threads that sleep and list the live ones, like threading.enumerate()"),
            .topic = QStringLiteral("Multithreading example: Thread, current_thread().name, enumerate()"),
            .params = kParams.specs(),
            .results = kResults.keys() + kThreadRow.keys(),
        };
    }

    void run(RunContext& ctx) override
    {
        const Params p = kParams.read(ctx);
        constexpr std::chrono::milliseconds kPollEvery { 100 };

        const std::uint32_t main = ctx.addWorker(QStringLiteral("MainThread"));
        std::vector<std::uint32_t> ids;
        for (int i = 1; i <= p.threads; ++i)
            ids.push_back(ctx.addWorker(pythonThreadName(i)));
        std::vector<std::atomic<bool>> alive(ids.size());

        // Like threading.enumerate(): the main thread and every started thread that has not finished.
        auto enumerate = [&] {
            const auto infos = ctx.workers();
            QJsonArray list;
            auto add = [&](const WorkerInfo& info) {
                list.append(kThreadRow.toObject({ info.name, qint64(info.tid), threadState(info.tid) }));
            };
            add(infos[main]);
            for (std::size_t i = 0; i < ids.size(); ++i)
                if (alive[i].load())
                    add(infos[ids[i]]);
            return list;
        };

        Results r;
        r.maxActive = 1;
        const QString liveThreads = kResults.key(&Results::threads);
        std::vector<std::jthread> threads;
        runAsWorker(ctx, main, [&](std::uint32_t, Recorder& mainRec) {
            r.threadsBefore = enumerate();
            r.activeCountBefore = int(r.threadsBefore.size());
            ctx.setLiveResult(liveThreads, r.threadsBefore);
            for (std::size_t i = 0; i < ids.size() && !ctx.stopRequested(); ++i) {
                alive[i].store(true);
                threads.emplace_back([&, i] {
                    runOnOwnThread(ctx, ids[i], [&](std::uint32_t, Recorder& rec) { ctx.sleepFor(p.sleep, rec); });
                    alive[i].store(false);
                });
                if (p.stagger.count() > 0 && i + 1 < ids.size())
                    ctx.sleepFor(p.stagger, mainRec);
            }
            // The seed displays the threads right after starting them; that listing is the run's result.
            // Thread ids appear once each thread has named itself, so wait for that briefly.
            for (int tries = 0; tries < 100; ++tries) {
                const auto infos = ctx.workers();
                if (std::all_of(ids.begin(), ids.begin() + std::ptrdiff_t(threads.size()),
                        [&](auto id) { return infos[id].tid != 0; }))
                    break;
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            r.threads = enumerate();
            r.activeCount = int(r.threads.size());

            while (std::any_of(alive.begin(), alive.end(), [](const auto& a) { return a.load(); })) {
                const QJsonArray now = enumerate();
                r.maxActive = std::max(r.maxActive, int(now.size()));
                ctx.setLiveResult(liveThreads, now);
                if (!ctx.sleepFor(kPollEvery, mainRec))
                    break;
            }
            threads.clear(); // joins
            ctx.setLiveResult(liveThreads, enumerate());
        });
        kResults.report(ctx, r);
    }

    QString describeOutcome(const QJsonObject& summary) const override
    {
        const Params p = kParams.fromSummary(summary);
        const Results r = kResults.fromSummary(summary);
        QString text = QStringLiteral("Before starting any, <b>%1</b>: %2. ")
                           .arg(threadsAlive(r.activeCountBefore), listing(r.threadsBefore));
        text += QStringLiteral("MainThread started %1, %2%3. Right after starting them <b>%4</b>: %5. ")
                    .arg(p.threads == 1 ? QStringLiteral("1 thread") : QStringLiteral("%1 threads").arg(p.threads),
                        pythonThreadName(1),
                        p.threads > 1 ? QStringLiteral(" to %1").arg(pythonThreadName(p.threads)) : QString(),
                        threadsAlive(r.activeCount), listing(r.threads));
        text += QStringLiteral("Each slept %1 ms; at most %2 at once")
                    .arg(qint64(p.sleep.count()))
                    .arg(threadsAlive(r.maxActive));
        // Side by side only when the figures show every one of them alive together.
        if (r.maxActive == p.threads + 1 && p.threads > 1)
            text += QStringLiteral(": a sleeping thread uses no CPU, so they all waited side by side.");
        else
            text += QStringLiteral(".");
        return text;
    }
};
}

std::unique_ptr<Scenario> makeNamedThreads()
{
    return std::make_unique<NamedThreads>();
}

} // namespace tl
