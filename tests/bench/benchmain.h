#pragma once

#include <string>
#include <utility>
#include <vector>

namespace tl::bench {

// A comparison to print after the run: ratio = time(baseline) / time(subject), both medians of this run.
struct Ratio {
    std::string subject;
    std::string baseline;
    std::string meaning;
    // Per-thread CPU time instead of wall time: for hot loops that must not be judged by how loaded the
    // machine was (wall time counts the moments another process had the core).
    bool cpuTime = false;
};

// Runs the registered benchmarks (offscreen QGuiApplication alive, median of repetitions reported), then
// prints each ratio. Returns the process exit code.
int runBenchmarks(int argc, char** argv, const std::vector<Ratio>& ratios);

} // namespace tl::bench
