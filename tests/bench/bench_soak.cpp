#include "benchmain.h"

#include <processes/ipcregistry.h>
#include <scenarios/registry.h>
#include <session/runcontroller.h>

#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <benchmark/benchmark.h>
#include <chrono>
#include <cstdio>
#include <unistd.h>

using namespace tl;

namespace {
constexpr int kRuns = 500;
constexpr int kEarlyLook = 50;

// Mixed scenarios with small parameters (threads, child processes, shared memory, semaphores, sockets,
// pipes, the HTTP server), taken in turn.
const std::vector<std::pair<QString, QStringList>> kMix {
    { QStringLiteral("race-counter"), { QStringLiteral("workers=4"), QStringLiteral("increments=20000") } },
    { QStringLiteral("lock-contention"), { QStringLiteral("workers=2"), QStringLiteral("iterations=200") } },
    { QStringLiteral("child-processes"), { QStringLiteral("children=2"), QStringLiteral("work_ms=0") } },
    { QStringLiteral("shared-memory"), { QStringLiteral("children=2"), QStringLiteral("repeats=2000") } },
    { QStringLiteral("queue-pipe"),
        { QStringLiteral("items=3"), QStringLiteral("produce_us=0"), QStringLiteral("consume_us=0") } },
    { QStringLiteral("queue-pipe"),
        { QStringLiteral("mechanism=pipe"), QStringLiteral("items=3"), QStringLiteral("produce_us=0") } },
    { QStringLiteral("manager"), { QStringLiteral("children=2") } },
    { QStringLiteral("ipc-throughput"), { QStringLiteral("largest=64k"), QStringLiteral("megabytes=1") } },
    { QStringLiteral("pools"),
        { QStringLiteral("work=io"), QStringLiteral("tasks=4"), QStringLiteral("delay_ms=0"),
            QStringLiteral("workers=2") } },
};

qint64 statusField(const char* name)
{
    QFile file(QStringLiteral("/proc/self/status"));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : file.readAll().split('\n'))
        if (line.startsWith(name))
            return line.mid(qstrlen(name)).simplified().split(' ').value(0).toLongLong();
    return -1;
}

// System V objects of this process still there: segments it created (by creator pid), and every segment,
// semaphore and socket its ledger still lists.
struct Ours {
    qint64 segments = 0;
    qint64 ledgerEntries = 0;
};
Ours ourIpcObjects()
{
    Ours ours;
    QFile shm(QStringLiteral("/proc/sysvipc/shm"));
    if (shm.open(QIODevice::ReadOnly)) {
        shm.readLine();
        while (!shm.atEnd()) {
            const QList<QByteArray> fields = shm.readLine().simplified().split(' ');
            ours.segments += fields.size() > 4 && fields[4].toLongLong() == getpid();
        }
    }
    QFile ledger(IpcRegistry::instance().ledgerPath());
    if (ledger.open(QIODevice::ReadOnly))
        ours.ledgerEntries = ledger.readAll().count('\n');
    return ours;
}

void look(benchmark::State& state, const char* when)
{
    const Ours ours = ourIpcObjects();
    const std::string at(when);
    state.counters["rss_kb_" + at] = double(statusField("VmRSS:"));
    state.counters["threads_" + at] = double(statusField("Threads:"));
    state.counters["fds_" + at] = double(QDir(QStringLiteral("/proc/self/fd")).entryList(QDir::NoDotAndDotDot).size());
    state.counters["segments_" + at] = double(ours.segments);
    state.counters["ledger_" + at] = double(ours.ledgerEntries);
}

// 500 runs one after another through the controller the window uses, waiting for each one's outcome as
// the window does (a queued signal on this thread).
void BM_Soak(benchmark::State& state)
{
    for (auto _ : state) {
        RunController controller;
        int failed = 0;
        double earlyMs = 0;
        double lateMs = 0;
        for (int run = 1; run <= kRuns; ++run) {
            const auto& [name, assignments] = kMix[std::size_t(run) % kMix.size()];
            ParamSet params(createScenario(name)->info().params);
            for (const QString& a : assignments)
                if (!params.assign(a, nullptr)) {
                    state.SkipWithError(qPrintable(name + u' ' + a + QStringLiteral(" is not a parameter")));
                    return;
                }
            QEventLoop loop;
            bool ok = true;
            QObject::connect(&controller, &RunController::finished, &loop, [&](const RunOutcome& outcome) {
                ok = outcome.status == RunOutcome::Status::Completed;
                if (!ok)
                    std::fprintf(stderr, "run %d (%s): %s %s\n", run, qPrintable(name),
                        qPrintable(outcome.statusName()), qPrintable(outcome.error));
                loop.quit();
            });
            const auto t0 = std::chrono::steady_clock::now();
            QString error;
            if (!controller.start(name, params, &error)) {
                state.SkipWithError(qPrintable(error));
                return;
            }
            loop.exec();
            controller.waitForFinished();
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            if (run <= kEarlyLook)
                earlyMs += ms;
            else if (run > kRuns - kEarlyLook)
                lateMs += ms;
            failed += !ok;
            if (run == kEarlyLook)
                look(state, "50");
        }
        look(state, "500");
        state.counters["failed_runs"] = failed;
        // The baseline is the same process's first 50 runs: the last 50 should take no longer.
        state.counters["ms_per_run_first50"] = earlyMs / kEarlyLook;
        state.counters["ms_per_run_last50"] = lateMs / kEarlyLook;
        std::printf("ratio soak last-50 / first-50 time per run = %.2fx; RSS at 500 / at 50 = %.2fx\n",
            lateMs / earlyMs, state.counters["rss_kb_500"] / state.counters["rss_kb_50"]);
    }
}
BENCHMARK(BM_Soak)->Iterations(1)->Unit(benchmark::kSecond);
}

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("THREADLAB_CHILD_EXE"))
        qputenv("THREADLAB_CHILD_EXE", THREADLAB_EXE);
    return tl::bench::runBenchmarks(argc, argv, {});
}
