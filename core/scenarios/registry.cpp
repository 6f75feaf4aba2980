#include "registry.h"

namespace tl {

// Each scenario is one .cpp with its class and its factory; this is the one place that names them all.
std::unique_ptr<Scenario> makeRaceCounter();
std::unique_ptr<Scenario> makeLockContention();
std::unique_ptr<Scenario> makeNamedThreads();
std::unique_ptr<Scenario> makeChildProcesses();
std::unique_ptr<Scenario> makeSharedMemory();
std::unique_ptr<Scenario> makeManagerProxies();
std::unique_ptr<Scenario> makeQueuePipe();
std::unique_ptr<Scenario> makeIpcThroughput();
std::unique_ptr<Scenario> makePoolSpeedup();
std::unique_ptr<Scenario> makeWorkerSweep();
std::unique_ptr<Scenario> makeGilEffect();
std::unique_ptr<Scenario> makeConcurrencyVsParallelism();
std::unique_ptr<Scenario> makeThreadsVsProcesses();
std::unique_ptr<Scenario> makeDeadlock();
std::unique_ptr<Scenario> makeFailingTasks();
std::unique_ptr<Scenario> makeProducerConsumer();

namespace {
using Factory = std::unique_ptr<Scenario> (*)();

const std::vector<Factory>& factories()
{
    static const std::vector<Factory> all {
        makeRaceCounter,
        makeLockContention,
        makeNamedThreads,
        makeChildProcesses,
        makeSharedMemory,
        makeManagerProxies,
        makeQueuePipe,
        makeIpcThroughput,
        makePoolSpeedup,
        makeWorkerSweep,
        makeGilEffect,
        makeConcurrencyVsParallelism,
        makeThreadsVsProcesses,
        makeDeadlock,
        makeFailingTasks,
        makeProducerConsumer,
    };
    return all;
}
}

std::vector<ScenarioInfo> scenarioCatalog()
{
    std::vector<ScenarioInfo> infos;
    for (const auto& f : factories())
        infos.push_back(f()->info());
    return infos;
}

std::unique_ptr<Scenario> createScenario(const QString& name)
{
    for (const auto& f : factories()) {
        auto s = f();
        if (s->info().name == name)
            return s;
    }
    return nullptr;
}

} // namespace tl
