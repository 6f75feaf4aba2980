#include "processes/childcontext.h"
#include "processes/ipcregistry.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace {
int g_stopPipe[2] = { -1, -1 };

extern "C" void onStopSignal(int signo)
{
    const int savedErrno = errno;
    const auto byte = static_cast<unsigned char>(signo);
    [[maybe_unused]] const auto n = ::write(g_stopPipe[1], &byte, 1); // full pipe: one is already waiting
    errno = savedErrno;
}

// SIGINT, SIGTERM and SIGHUP, from the first instruction on, become a byte in a pipe that the run's watcher
// (command line) or the event loop (window) reads, so a stop goes through the normal path that ends the
// children and removes the run's shared memory and semaphores. A signal ignored at start (nohup) stays so;
// one the launcher blocked (the mask survives exec) is unblocked, or it would never stop the run. Returns
// the pipe's read end, or -1. A child process execs with the default handlers back.
int catchStopSignals()
{
    if (::pipe2(g_stopPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    struct sigaction catching { };
    catching.sa_handler = onStopSignal;
    sigemptyset(&catching.sa_mask);
    catching.sa_flags = SA_RESTART;
    sigset_t caught;
    sigemptyset(&caught);
    for (const int signo : { SIGINT, SIGTERM, SIGHUP }) {
        struct sigaction previous { };
        if (::sigaction(signo, nullptr, &previous) == 0 && previous.sa_handler != SIG_IGN
            && ::sigaction(signo, &catching, nullptr) == 0)
            sigaddset(&caught, signo);
    }
    ::sigprocmask(SIG_UNBLOCK, &caught, nullptr);
    return g_stopPipe[0];
}

// The window and the command line live in libthreadlab_app.so: beside the executable in a build tree,
// at THREADLAB_APP_MODULE_DIR (relative to the executable's directory) once installed.
void* loadAppModule()
{
    const std::filesystem::path exeDir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    std::string error;
    for (const auto& dir : { exeDir, exeDir / THREADLAB_APP_MODULE_DIR }) {
        if (void* module = dlopen((dir / "libthreadlab_app.so").c_str(), RTLD_NOW | RTLD_LOCAL))
            return module;
        error = dlerror();
    }
    std::fprintf(stderr,
        "threadlab: cannot load its window and command line (libthreadlab_app.so): %s\n"
        "Reinstall ThreadLab, or run it from its build directory.\n",
        error.c_str());
    return nullptr;
}
}

int main(int argc, char** argv)
{
    // A child process starts here and needs only Qt Core: starting one must cost a few milliseconds.
    if (tl::isChildMode(argc, argv))
        return tl::runChildMode(argc, argv);
    const int stopSignalFd = catchStopSignals();

    // Shared memory of a ThreadLab that was killed outright (SIGKILL) is still there: remove it first.
    tl::IpcRegistry::removeStaleQuietly();
    void* module = loadAppModule();
    if (!module)
        return 1;
    using AppMain = int (*)(int, char**, int);
    const auto appMain = reinterpret_cast<AppMain>(dlsym(module, "threadlab_app_main"));
    return appMain ? appMain(argc, argv, stopSignalFd) : 1;
}
