#include "benchmain.h"

#include <QGuiApplication>
#include <benchmark/benchmark.h>
#include <cstdio>
#include <map>

namespace tl::bench {

namespace {
// Keeps the console output and remembers each benchmark's median time per iteration.
class RememberingReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override
    {
        for (const auto& r : runs)
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median") {
                const std::string name = r.run_name.function_name
                    + (r.run_name.args.empty() ? "" : "/" + r.run_name.args)
                    + (r.run_name.threads.empty() ? "" : "/" + r.run_name.threads);
                medians[name] = r.GetAdjustedRealTime();
                cpuMedians[name] = r.GetAdjustedCPUTime();
            }
        ConsoleReporter::ReportRuns(runs);
    }
    std::map<std::string, double> medians;
    std::map<std::string, double> cpuMedians;
};
}

int runBenchmarks(int argc, char** argv, const std::vector<Ratio>& ratios)
{
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QGuiApplication app(argc, argv); // fonts for painting
    benchmark::Initialize(&argc, argv);
    RememberingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    std::printf("\n");
    for (const auto& r : ratios) {
        const auto& medians = r.cpuTime ? reporter.cpuMedians : reporter.medians;
        const auto s = medians.find(r.subject);
        const auto b = medians.find(r.baseline);
        if (s == medians.end() || b == medians.end() || s->second <= 0)
            continue;
        std::printf("ratio %-40s = %6.2fx  (%s / %s, %s: %s)\n", r.subject.c_str(), b->second / s->second,
            r.baseline.c_str(), r.subject.c_str(), r.cpuTime ? "CPU time" : "wall time", r.meaning.c_str());
    }
    benchmark::Shutdown();
    return 0;
}

} // namespace tl::bench
