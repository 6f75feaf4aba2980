#include "registry.h"

namespace tl {

// Each scenario is one .cpp with its class and its factory; this is the one place that names them all.
std::unique_ptr<Scenario> makeRaceCounter();
std::unique_ptr<Scenario> makeLockContention();
std::unique_ptr<Scenario> makeThreadsDemo();
std::unique_ptr<Scenario> makeChildProcesses();
std::unique_ptr<Scenario> makeSharedMemory();
std::unique_ptr<Scenario> makeManager();
std::unique_ptr<Scenario> makeQueuePipe();
std::unique_ptr<Scenario> makeIpcThroughput();
std::unique_ptr<Scenario> makePools();
std::unique_ptr<Scenario> makeSweep();
std::unique_ptr<Scenario> makeGil();
std::unique_ptr<Scenario> makeCores();
std::unique_ptr<Scenario> makeThreadsVsProcesses();
std::unique_ptr<Scenario> makeDeadlock();
std::unique_ptr<Scenario> makeFailures();
std::unique_ptr<Scenario> makeProducerConsumer();

namespace {
using Factory = std::unique_ptr<Scenario> (*)();

const std::vector<Factory>& factories()
{
    static const std::vector<Factory> all {
        makeRaceCounter,
        makeLockContention,
        makeThreadsDemo,
        makeChildProcesses,
        makeSharedMemory,
        makeManager,
        makeQueuePipe,
        makeIpcThroughput,
        makePools,
        makeSweep,
        makeGil,
        makeCores,
        makeThreadsVsProcesses,
        makeDeadlock,
        makeFailures,
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
