#include "scenario.h"

#include "../processes/procfs.h"
#include "../run/workers.h"

#include <QJsonArray>
#include <thread>

namespace tl {

// The seed's multithreading example: start named threads that sleep, and list the live ones as they run.
class ThreadsDemo : public Scenario {
public:
    ScenarioInfo info() const override;
    void run(RunContext& ctx) override;
    QString describeOutcome(const QJsonObject& summary) const override;
};

ScenarioInfo ThreadsDemo::info() const
{
    return {
        QStringLiteral("threads"),
        QStringLiteral("Threads and their names"),
        QStringLiteral("Start named threads that sleep and list the live ones, like threading.enumerate()"),
        QStringLiteral("Multithreading example: Thread, current_thread().name, enumerate()"),
        {
            ParamSpec::integer(QStringLiteral("threads"), 5, 1, 64, QStringLiteral("Threads to start")),
            ParamSpec::integer(QStringLiteral("sleep_ms"), 3000, 0, 600'000,
                QStringLiteral("How long each thread sleeps (the seed's time.sleep(3))"), QStringLiteral("ms")),
            ParamSpec::integer(QStringLiteral("stagger_ms"), 0, 0, 10'000,
                QStringLiteral("Pause between starting one thread and the next, so they also end one by one"),
                QStringLiteral("ms")),
        },
        ScenarioInfo::Chart::None,
        { QStringLiteral("active_count"), QStringLiteral("max_active"), QStringLiteral("threads"),
            QStringLiteral("name"), QStringLiteral("id"), QStringLiteral("state") },
    };
}

void ThreadsDemo::run(RunContext& ctx)
{
    const int count = int(ctx.value(QStringLiteral("threads")));
    const std::chrono::milliseconds sleep(ctx.value(QStringLiteral("sleep_ms")));
    const std::chrono::milliseconds stagger(ctx.value(QStringLiteral("stagger_ms")));
    constexpr std::chrono::milliseconds kPollEvery { 100 };

    const std::uint32_t main = ctx.addWorker(QStringLiteral("MainThread"));
    std::vector<std::uint32_t> ids;
    for (int i = 1; i <= count; ++i)
        ids.push_back(ctx.addWorker(QStringLiteral("Thread-%1").arg(i)));
    std::vector<std::atomic<bool>> alive(ids.size());

    // Like threading.enumerate(): the main thread and every started thread that has not finished.
    auto enumerate = [&] {
        const auto infos = ctx.workers();
        QJsonArray list;
        auto add = [&](const WorkerInfo& info) {
            list.append(QJsonObject { { QStringLiteral("name"), info.name }, { QStringLiteral("id"), qint64(info.tid) },
                { QStringLiteral("state"), threadState(info.tid) } });
        };
        add(infos[main]);
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (alive[i].load())
                add(infos[ids[i]]);
        return list;
    };

    int maxActive = 1;
    std::vector<std::jthread> threads;
    runAsWorker(ctx, main, [&](std::uint32_t, Recorder& mainRec) {
        ctx.setLiveResult(QStringLiteral("threads"), enumerate());
        for (std::size_t i = 0; i < ids.size() && !ctx.stopRequested(); ++i) {
            alive[i].store(true);
            threads.emplace_back([&, i] {
                runOnOwnThread(ctx, ids[i], [&](std::uint32_t, Recorder& rec) { ctx.sleepFor(sleep, rec); });
                alive[i].store(false);
            });
            if (stagger.count() > 0 && i + 1 < ids.size())
                ctx.sleepFor(stagger, mainRec);
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
        const QJsonArray afterStart = enumerate();
        ctx.setResult(QStringLiteral("threads"), afterStart);
        ctx.setResult(QStringLiteral("active_count"), afterStart.size());

        while (std::any_of(alive.begin(), alive.end(), [](const auto& a) { return a.load(); })) {
            const QJsonArray now = enumerate();
            maxActive = std::max(maxActive, int(now.size()));
            ctx.setLiveResult(QStringLiteral("threads"), now);
            if (!ctx.sleepFor(kPollEvery, mainRec))
                break;
        }
        threads.clear(); // joins
        ctx.setLiveResult(QStringLiteral("threads"), enumerate());
    });
    ctx.setResult(QStringLiteral("max_active"), maxActive);
}

QString ThreadsDemo::describeOutcome(const QJsonObject& summary) const
{
    const QJsonObject params = summary[u"params"].toObject();
    const QJsonObject results = summary[u"results"].toObject();
    const qint64 count = params[u"threads"].toInteger();
    QStringList listed;
    for (const auto& t : results[u"threads"].toArray())
        listed << QStringLiteral("%1 (id %2, %3)")
                      .arg(t[u"name"].toString())
                      .arg(t[u"id"].toInteger())
                      .arg(t[u"state"].toString());
    return QStringLiteral(
        "MainThread started %1 threads, Thread-1 to Thread-%1. Right after starting them <b>%2 threads "
        "were alive</b>: %3. Each slept %4 ms; a sleeping thread uses no CPU, so they all waited "
        "side by side. At most %5 were alive at once.")
        .arg(count)
        .arg(results[u"active_count"].toInt())
        .arg(listed.join(u", "))
        .arg(params[u"sleep_ms"].toInteger())
        .arg(results[u"max_active"].toInt());
}

std::unique_ptr<Scenario> makeThreadsDemo()
{
    return std::make_unique<ThreadsDemo>();
}

} // namespace tl
