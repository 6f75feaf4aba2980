// What the tracee library costs a program: an uncontended pthread_mutex_lock + unlock pair, interposed by
// libthreadlab-tracee.so recording into a real arena (drained every millisecond, as ThreadLab drains it),
// against the plain pair of the C library, measured in the same run of the same binary. Goal: <= 3x.
// Run: build/tests/bench/bench_tracee
//
// The program formats an arena, then re-executes itself with LD_PRELOAD and THREADLAB_ARENA set, so that
// the library is loaded the way `threadlab trace` loads it. In that process a plain pthread_mutex_lock
// call goes to the library; the plain pair calls the C library's own functions (dlsym on libc.so.6), the
// same code a program without the library runs.
#include "benchmain.h"

#include <abi/arena.h>
#include <trace/clock.h>
#include <trace/recorder.h>

#include <atomic>
#include <benchmark/benchmark.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

using namespace tl;

namespace {

constexpr char kChildEnv[] = "THREADLAB_BENCH_TRACEE_CHILD";
constexpr int kRepetitions = 9;

using MutexFn = int (*)(pthread_mutex_t*);
MutexFn g_plainLock = nullptr;
MutexFn g_plainUnlock = nullptr;
pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;

void BM_PlainPair(benchmark::State& state)
{
    for (auto _ : state) {
        g_plainLock(&g_mutex);
        g_plainUnlock(&g_mutex);
    }
}
BENCHMARK(BM_PlainPair)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

void BM_InterposedPair(benchmark::State& state)
{
    for (auto _ : state) {
        pthread_mutex_lock(&g_mutex);
        pthread_mutex_unlock(&g_mutex);
    }
}
BENCHMARK(BM_InterposedPair)->Repetitions(kRepetitions)->ReportAggregatesOnly(true);

abi::ArenaLayout layout()
{
    return { 16, 1024, 16, 16, std::uint64_t(1) << 18 };
}

// Formats the arena and re-executes this program inside it. Returns only on failure.
int startTraced(char** argv)
{
    const std::string name = "/threadlab-arena-bench-" + std::to_string(getpid());
    const int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, off_t(layout().totalBytes())) != 0) {
        std::perror("arena");
        return 1;
    }
    void* memory = mmap(nullptr, layout().totalBytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (memory == MAP_FAILED) {
        shm_unlink(name.c_str());
        return 1;
    }
    abi::formatArena(memory, layout(), std::uint32_t(clock::tickSource()), std::int32_t(getpid()));
    munmap(memory, layout().totalBytes());
    setenv(abi::kArenaEnv, name.c_str(), 1);
    setenv("LD_PRELOAD", THREADLAB_TRACEE_LIBRARY, 1);
    setenv(kChildEnv, "1", 1);
    execv("/proc/self/exe", argv);
    std::perror("execv");
    shm_unlink(name.c_str());
    return 1;
}

} // namespace

int main(int argc, char** argv)
{
    if (!std::getenv(kChildEnv))
        return startTraced(argv);
    const char* name = std::getenv(abi::kArenaEnv);
    // ThreadLab's side: this process maps the arena again and drains every slot every millisecond.
    const int fd = shm_open(name, O_RDWR, 0);
    void* memory
        = fd >= 0 ? mmap(nullptr, layout().totalBytes(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (fd >= 0)
        close(fd);
    shm_unlink(name);
    if (memory == MAP_FAILED)
        return 1;
    const abi::ArenaView view(memory, layout().totalBytes());
    void* libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    g_plainLock = reinterpret_cast<MutexFn>(dlsym(libc, "pthread_mutex_lock"));
    g_plainUnlock = reinterpret_cast<MutexFn>(dlsym(libc, "pthread_mutex_unlock"));
    if (!view.valid() || !g_plainLock || !g_plainUnlock)
        return 1;

    std::atomic<bool> stop { false };
    std::atomic<std::uint64_t> drained { 0 };
    std::thread drainer([&] {
        while (!stop.load(std::memory_order_relaxed)) {
            const std::uint32_t used = std::min(view.header().nextSlot.load(), view.header().slotCount);
            for (std::uint32_t i = 0; i < used; ++i)
                if (view.slot(i).state.load() != abi::SlotState::Free)
                    drained += view.recorder(view.slot(i)).drain([](std::span<const Event>) {});
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    const int rc = tl::bench::runBenchmarks(argc, argv,
        { { "BM_PlainPair", "BM_InterposedPair",
            "uncontended lock+unlock interposed by the tracee (recording) / the C library's own: goal <= 3", true } });
    stop = true;
    drainer.join();
    // Proof that the second figure is the interposed one: the pairs were recorded.
    std::printf("events recorded and drained: %llu (threads without a slot: %llu)\n",
        static_cast<unsigned long long>(drained.load()),
        static_cast<unsigned long long>(view.header().threadsWithoutSlot.load()));
    return drained.load() > 0 ? rc : 1;
}
