#include "registry.h"

#include "childprocesses.h"
#include "cores.h"
#include "deadlock.h"
#include "failures.h"
#include "gil.h"
#include "ipcthroughput.h"
#include "lockcontention.h"
#include "manager.h"
#include "pools.h"
#include "producerconsumer.h"
#include "queuepipe.h"
#include "racecounter.h"
#include "sharedmemory.h"
#include "sweep.h"
#include "threadsdemo.h"
#include "threadsvsprocesses.h"

#include <functional>

namespace tl {

namespace {
using Factory = std::function<std::unique_ptr<Scenario>()>;
template <typename T> Factory make()
{
    return [] { return std::make_unique<T>(); };
}

const std::vector<Factory>& factories()
{
    static const std::vector<Factory> all {
        make<RaceCounter>(),
        make<LockContention>(),
        make<ThreadsDemo>(),
        make<ChildProcesses>(),
        make<SharedMemory>(),
        make<Manager>(),
        make<QueuePipe>(),
        make<IpcThroughput>(),
        make<Pools>(),
        make<Sweep>(),
        make<Gil>(),
        make<Cores>(),
        make<ThreadsVsProcesses>(),
        make<Deadlock>(),
        make<Failures>(),
        make<ProducerConsumer>(),
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
