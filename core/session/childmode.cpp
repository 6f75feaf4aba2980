#include "childmode.h"

#include "../processes/childblock.h"
#include "../processes/childcontext.h"
#include "../processes/sharedsegment.h"
#include "../scenarios/registry.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/prctl.h>
#include <unistd.h>

namespace tl {

bool isChildMode(int argc, char** argv)
{
    return argc > 1 && std::strcmp(argv[1], "--child") == 0;
}

int runChildMode(int argc, char** argv)
{
    constexpr int kUsage = 64;
    // A child never outlives its parent: if ThreadLab dies, so do its children (and with them every
    // attachment to the run's segments).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Writing to a pipe or socket whose reader has gone fails with EPIPE rather than killing the child.
    ::signal(SIGPIPE, SIG_IGN);
    // Ctrl+C or a hang-up reaches the whole process group: ThreadLab stops its children itself, in order,
    // and reports them as stopped; a child that died of the terminal's signal first would read as a failure.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    if (QByteArray::number(getppid()) != qgetenv("THREADLAB_PARENT_PID")) {
        std::fputs("threadlab --child is started by ThreadLab itself, not by hand\n", stderr);
        return kUsage;
    }
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    try {
        // Report for duty first (the parent's measure of a child's start-up), then set up the rest.
        const auto segment = SharedSegment::attach(qEnvironmentVariable("THREADLAB_CHILD_SEGMENT"));
        auto* block = std::launder(static_cast<ChildBlock*>(segment->data()));
        Recorder& recorder = *Recorder::attach(block->recorderMemory());
        ChildContext::reportForDuty(*block, recorder);

        const auto scenario = args.size() > 3 ? createScenario(args[2]) : nullptr;
        if (!scenario)
            throw std::runtime_error("unknown scenario or role");

        ChildContext child(args.mid(4), *block, recorder);
        return child.finish(scenario->runChild(args[3], child));
    } catch (const std::exception& e) {
        std::fprintf(
            stderr, "threadlab child (%s %s): %s\n", qPrintable(args.value(2)), qPrintable(args.value(3)), e.what());
        return 1;
    }
}

} // namespace tl
