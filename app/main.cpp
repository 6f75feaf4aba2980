#include <processes/ipcregistry.h>
#include <session/childmode.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <dlfcn.h>
#include <fcntl.h>
#include <filesystem>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace {
// A descriptor 0, 1 or 2 that was closed when ThreadLab started would be taken by the next file it opens
// (the stop pipe, a socket), and a summary printed to "stdout" would land there. So each closed one gets
// /dev/null; a closed standard output is remembered, so that an output to it fails instead of vanishing.
// Returns whether standard output was closed.
bool reserveStandardDescriptors()
{
    bool stdoutClosed = false;
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        const int null = ::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
        if (null >= 0 && null != fd) {
            ::dup2(null, fd);
            ::close(null);
        }
        stdoutClosed = stdoutClosed || fd == STDOUT_FILENO;
    }
    return stdoutClosed;
}

// SIGINT, SIGTERM and SIGHUP, from the first instruction on, become a byte in a pipe that the run's watcher
// (command line) or the event loop (window) reads, so a stop goes through the normal path that ends the
// children and removes the run's shared memory and semaphores. They are blocked in every thread (a thread
// inherits its creator's mask, and no other exists yet) and taken by one thread of their own with
// sigwaitinfo(): no handler ever interrupts a worker's system call (semop() is not restarted after one),
// and no runtime can defer a handler in a thread that sleeps in a library call (ThreadSanitizer queues
// signals until the receiving thread leaves its next intercepted call). A signal ignored at start (nohup)
// stays so; one already pending (the launcher blocked it) is taken at once. Children get an empty mask
// back before exec (Children). Returns the pipe's read end, or -1.
int catchStopSignals()
{
    int stopPipe[2];
    if (::pipe2(stopPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -1;
    sigset_t caught;
    sigemptyset(&caught);
    for (const int signo : { SIGINT, SIGTERM, SIGHUP }) {
        struct sigaction current { };
        if (::sigaction(signo, nullptr, &current) == 0 && current.sa_handler != SIG_IGN)
            sigaddset(&caught, signo);
    }
    if (::pthread_sigmask(SIG_BLOCK, &caught, nullptr) != 0)
        return -1;
    std::thread([caught, writeEnd = stopPipe[1]] {
        ::pthread_setname_np(::pthread_self(), "tl-signals");
        for (;;) {
            const int signo = ::sigwaitinfo(&caught, nullptr);
            if (signo < 0)
                continue; // EINTR: a stop of the debugger's kind
            const auto byte = static_cast<unsigned char>(signo);
            [[maybe_unused]] const auto n = ::write(writeEnd, &byte, 1); // full pipe: one is already waiting
        }
    }).detach();
    return stopPipe[0];
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
        error = dlerror(); // NOLINT(concurrency-mt-unsafe): glibc keeps dlerror()'s message per thread
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
    const bool stdoutClosed = reserveStandardDescriptors();
    // Past a file size limit (ulimit -f) a write fails with EFBIG, which the outputs report, instead of the
    // signal killing ThreadLab with its run's shared memory still in place.
    ::signal(SIGXFSZ, SIG_IGN);
    // A child process starts here and needs only Qt Core: starting one must cost a few milliseconds.
    if (tl::isChildMode(argc, argv))
        return tl::runChildMode(argc, argv);
    const int stopSignalFd = catchStopSignals();

    // Shared memory of a ThreadLab that was killed outright (SIGKILL) is still there: remove it first.
    tl::IpcRegistry::removeStaleQuietly();
    void* module = loadAppModule();
    if (!module)
        return 1;
    using AppMain = int (*)(int, char**, int, bool);
    const auto appMain = reinterpret_cast<AppMain>(dlsym(module, "threadlab_app_main"));
    return appMain ? appMain(argc, argv, stopSignalFd, stdoutClosed) : 1;
}
