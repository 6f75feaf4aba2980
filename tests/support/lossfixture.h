#pragma once

#include <trace/trace.h>

#include <QString>
#include <cstdint>
#include <vector>

namespace tl::test {

// A recorded run with both kinds of loss, as the collector stores them, times known by construction (the
// oracle the exports are held to):
// - worker-1 enters an unprotected section at 10 µs, then its ring fills; its next kept event is at 100 µs.
//   The kernel's switch records in between (preempted at 20, on CPU 1 at 30, blocked at 35, on CPU 0 at 90)
//   tell when it had a CPU, not what it did: the lost stretch is [10, 100] µs, and nothing of the worker's
//   own state may be claimed inside it.
// - worker-2 holds lock "other" from 20 µs; the kernel's records after its switch-in at 5 µs were lost
//   (counted at 40 µs) although its ring was never found full: its CPU is unknown over [5, 40] µs.
struct LossFixture {
    static constexpr std::int64_t kStart = 1'000'000'000; // the run's start, CLOCK_MONOTONIC ns
    static constexpr std::int64_t kUs = 1000;
    static constexpr std::int64_t kLostFrom = kStart + 10 * kUs; // worker-1's last kept event before the loss
    static constexpr std::int64_t kLostTo = kStart + 100 * kUs; // and its first after it
    static constexpr std::int64_t kCpuUnknownFrom = kStart + 5 * kUs; // worker-2's last switch record kept
    static constexpr std::int64_t kCpuUnknownTo = kStart + 40 * kUs; // where the kernel counted the loss

    static Trace trace()
    {
        Trace t;
        t.scenario = QStringLiteral("fixture");
        t.startNs = kStart;
        t.endNs = kStart + 200 * kUs;
        t.lockNames = { QString(), QStringLiteral("counter"), QStringLiteral("other") };
        t.workers = { { QStringLiteral("worker-1"), QStringLiteral("ThreadLab"), 4242, 4243 },
            { QStringLiteral("worker-2"), QStringLiteral("ThreadLab"), 4242, 4244 } };
        auto at = [](std::int64_t us, EventKind kind, std::int32_t value = 0, std::uint16_t lock = 0,
                      std::uint8_t cpu = 0) {
            return Event { kStart + us * kUs, value, lock, cpu, kind };
        };
        t.lanes.resize(2);
        for (const Event& e :
            { at(0, EventKind::Started), at(10, EventKind::LockAcquired, 0, 1), at(20, EventKind::SwitchOut, 1),
                at(30, EventKind::SwitchIn, 0, 0, 1), at(35, EventKind::SwitchOut, 0, 0, 1),
                at(90, EventKind::SwitchIn, 0, 0, 0), at(100, EventKind::Lost, 500, 0, kUnknownCpu),
                at(100, EventKind::LockReleased, 0, 1), at(110, EventKind::Finished) })
            t.lanes[0].push_back(e);
        for (const Event& e :
            { at(0, EventKind::Started), at(5, EventKind::SwitchIn, 0, 0, 0), at(20, EventKind::LockAcquired, 1, 2),
                at(40, EventKind::Lost, 7, kLostSwitchRecords, kUnknownCpu), at(40, EventKind::SwitchIn, 0, 0, 1),
                at(50, EventKind::LockReleased, 0, 2), at(60, EventKind::Finished) })
            t.lanes[1].push_back(e);
        t.droppedEvents = 507;
        t.losses = { { 0, kLostTo, 500, false }, { 1, kCpuUnknownTo, 7, true } };
        return t;
    }

    // One slice of an export, as its reader sees it: times in ns since the run's start.
    struct Slice {
        std::size_t lane;
        std::int64_t start, end;
        bool lost; // an "events lost" slice
        bool cpuUnknown; // says the CPU is unknown (no CPU claimed, the "CPU unknown" note)
    };
    // What is wrong with an export's slices of trace(), or nothing.
    static QString wrongIn(const std::vector<Slice>& slices)
    {
        const std::int64_t from = kLostFrom - kStart, to = kLostTo - kStart;
        int gaps = 0, unknown = 0;
        for (const Slice& s : slices) {
            const QString where = QStringLiteral("[%1, %2] ns of worker-%3").arg(s.start).arg(s.end).arg(s.lane + 1);
            if (s.lane == 0 && s.lost) {
                ++gaps;
                if (s.start != from || s.end != to)
                    return QStringLiteral("the gap is %1, the loss [%2, %3]").arg(where).arg(from).arg(to);
            } else if (s.lane == 0 && s.start < to && s.end > from) {
                return QStringLiteral("a state slice %1 claims what the worker did while its events were lost")
                    .arg(where);
            }
            if (s.lane == 1 && s.start < kCpuUnknownTo - kStart && s.end > kCpuUnknownFrom - kStart) {
                if (s.lost || !s.cpuUnknown)
                    return QStringLiteral("%1 does not say its CPU is unknown").arg(where);
                ++unknown;
            }
        }
        if (gaps != 1)
            return QStringLiteral("%1 gap slices for worker-1's one loss").arg(gaps);
        return unknown > 0 ? QString() : QStringLiteral("nothing of worker-2 where its CPU is unknown");
    }
};

} // namespace tl::test
