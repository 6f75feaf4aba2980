// A CPU-bound program with a contended mutex, for bench_trace: four std::threads each do a little work outside
// the lock and a little inside it, for the given milliseconds, then print how many critical sections they
// completed per second (the program's own throughput, measured inside it, so ThreadLab's start-up is not in
// it).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

int main(int argc, char** argv)
{
    const int ms = argc > 1 ? std::atoi(argv[1]) : 1000;
    std::mutex lock;
    std::atomic<bool> stop { false };
    std::atomic<long> sections { 0 };
    volatile unsigned sink = 0;
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            long mine = 0;
            unsigned x = 1;
            while (!stop.load(std::memory_order_relaxed)) {
                for (int i = 0; i < 200; ++i) // outside the lock
                    x = x * 1664525u + 1013904223u;
                std::lock_guard guard(lock);
                for (int i = 0; i < 50; ++i) // inside
                    x = x * 1664525u + 1013904223u;
                ++mine;
            }
            sink = sink + x;
            sections += mine;
        });
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    stop = true;
    for (auto& t : threads)
        t.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.0f\n", double(sections.load()) / seconds);
    return 0;
}
