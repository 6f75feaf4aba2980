#include "../support/runscenario.h"

#include <trace/chunks.h>

#include <QFile>
#include <QTest>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// From the sanitizers' common runtime (GCC ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#define TL_SANITIZED 1
#endif

using namespace tl;

// What a run keeps in memory: about 16 bytes an event, and no more after many runs than after a few.
class TestStorage : public QObject {
    Q_OBJECT
private slots:
    void eventsAreStoredAtTheirSize();
    void manyRunsHoldNoMoreThanOne();
};

namespace {
RunOutcome raceRun()
{
    return test::runScenario(QStringLiteral("race-counter"),
        { QStringLiteral("workers=4"), QStringLiteral("increments=200000"), QStringLiteral("lock=mutex") });
}

// What the process holds: its resident memory; under a sanitizer, what its allocator has handed out, since
// resident memory there also counts the sanitizer's shadow of every page touched (2-4x, growing with
// allocator noise: 34-69 MiB over the runs below under TSan where a plain build grows 0-16 MiB).
std::int64_t residentBytes()
{
#ifdef TL_SANITIZED
    return std::int64_t(__sanitizer_get_current_allocated_bytes());
#endif
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return -1;
    return statm.readAll().split(' ').value(1).toLongLong() * sysconf(_SC_PAGESIZE);
}
}

void TestStorage::eventsAreStoredAtTheirSize()
{
    const auto o = raceRun();
    const double perEvent = double(o.trace->storedBytes()) / double(o.trace->laneEventCount());
    // Each lane's last chunk is partly filled: at most one chunk per lane above 16 bytes an event.
    const double bound
        = 16.0 + double(o.trace->lanes.size() * ChunkPool::kChunkBytes) / double(o.trace->laneEventCount());
    QVERIFY2(perEvent <= bound, qPrintable(QStringLiteral("%1 bytes an event, bound %2").arg(perEvent).arg(bound)));
}

// As in the window: the last run's outcome stays alive until the next one ends.
void TestStorage::manyRunsHoldNoMoreThanOne()
{
    RunOutcome last = raceRun();
    const std::size_t runBytes = last.trace->storedBytes();
    std::int64_t afterSecond = 0;
    std::size_t chunksAfterSecond = 0;
    for (int run = 2; run <= 10; ++run) {
        last = raceRun();
        if (run == 2) {
            afterSecond = residentBytes();
            chunksAfterSecond = ChunkPool::instance().chunksInUse() + ChunkPool::instance().chunksFree();
        }
    }
    const std::int64_t afterTenth = residentBytes();
    const std::size_t chunksAfterTenth = ChunkPool::instance().chunksInUse() + ChunkPool::instance().chunksFree();
    // The pool reuses what the previous run gave back: after eight more runs, no chunk more than the reserve
    // the warmer keeps faulted ahead (which grows with demand up to kReserveChunks).
    QVERIFY2(chunksAfterTenth <= chunksAfterSecond + ChunkPool::kReserveChunks,
        qPrintable(
            QStringLiteral("%1 chunks after run 2, %2 after run 10").arg(chunksAfterSecond).arg(chunksAfterTenth)));
    // And the process as a whole: growth well under one run's worth (generous: allocator noise, lazy caches).
    QVERIFY2(afterTenth - afterSecond < std::int64_t(runBytes),
        qPrintable(QStringLiteral("memory held grew by %1 MiB from run 2 to run 10; one run stores %2 MiB")
                       .arg((afterTenth - afterSecond) >> 20)
                       .arg(runBytes >> 20)));
}

QTEST_GUILESS_MAIN(TestStorage)
#include "tst_storage.moc"
