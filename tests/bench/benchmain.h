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
};

// Runs the registered benchmarks (offscreen QGuiApplication alive, median of repetitions reported), then
// prints each ratio. Returns the process exit code.
int runBenchmarks(int argc, char** argv, const std::vector<Ratio>& ratios);

} // namespace tl::bench
