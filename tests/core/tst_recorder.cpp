#include <run/collector.h>
#include <run/run.h>
#include <trace/recorder.h>

#include <QTest>
#include <thread>

using namespace tl;

class TestRecorder : public QObject {
    Q_OBJECT
private slots:
    void manyThreadsLoseNothing();
    void overflowIsCountedNotHidden();
    void ticksBecomeMonotonicNanoseconds();
};

// Eight writers record while a reader drains concurrently: every event arrives once, in order.
void TestRecorder::manyThreadsLoseNothing()
{
    constexpr int kThreads = 8;
    constexpr std::int64_t kEvents = 200'000;
    std::vector<Recorder::Owned> recs;
    for (int i = 0; i < kThreads; ++i)
        recs.push_back(Recorder::create(std::uint32_t(i), 4096));

    std::atomic<int> running { kThreads };
    std::vector<std::int64_t> received(kThreads, 0);
    std::vector<bool> ordered(kThreads, true);
    std::thread reader([&] {
        auto drainAll = [&] {
            for (auto& r : recs)
                r->drain([&](std::span<const Event> events) {
                    for (const Event& e : events) {
                        auto& n = received[e.worker];
                        if (e.value != n)
                            ordered[e.worker] = false;
                        ++n;
                    }
                });
        };
        while (running.load() > 0)
            drainAll();
        drainAll();
    });
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
        writers.emplace_back([&, t] {
            for (std::int64_t i = 0; i < kEvents;) {
                // Keep every value: on a full ring, retry rather than drop, so the test can check order.
                const auto before = recs[t]->dropped();
                recs[t]->record(EventKind::Mark, i);
                if (recs[t]->dropped() == before)
                    ++i;
                else
                    std::this_thread::yield();
            }
            running.fetch_sub(1);
        });
    }
    for (auto& w : writers)
        w.join();
    reader.join();
    for (int t = 0; t < kThreads; ++t) {
        QCOMPARE(received[t], kEvents);
        QVERIFY(ordered[t]);
    }
}

void TestRecorder::overflowIsCountedNotHidden()
{
    const auto owned = Recorder::create(0, 1024);
    Recorder& rec = *owned;
    QCOMPARE(rec.capacity(), std::size_t(1024));
    for (int i = 0; i < 5000; ++i)
        rec.record(EventKind::Mark, i);
    QCOMPARE(rec.dropped(), std::uint64_t(5000 - 1024));
    std::size_t kept = 0;
    std::int64_t last = -1;
    rec.drain([&](std::span<const Event> events) {
        kept += events.size();
        last = events.back().value;
    });
    QCOMPARE(kept, std::size_t(1024));
    QCOMPARE(last, std::int64_t(1023)); // the oldest events are kept, later ones dropped
    // Room again after a drain.
    rec.record(EventKind::Mark, 7);
    QCOMPARE(rec.drain([](std::span<const Event>) {}), std::size_t(1));
}

// Converted times land on CLOCK_MONOTONIC, the clock child processes share, within a few microseconds.
void TestRecorder::ticksBecomeMonotonicNanoseconds()
{
    ClockSync sync;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    sync.calibrate();
    const std::int64_t before = clock::monotonicNs();
    const std::uint64_t ticks = clock::ticks();
    const std::int64_t after = clock::monotonicNs();
    const std::int64_t converted = sync.toNs(ticks);
    QVERIFY2(converted >= before - 20'000 && converted <= after + 20'000,
        qPrintable(QStringLiteral("converted %1 not within [%2, %3]").arg(converted).arg(before).arg(after)));
}

QTEST_GUILESS_MAIN(TestRecorder)
#include "tst_recorder.moc"
