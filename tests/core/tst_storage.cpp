#include "../support/runscenario.h"

#include <trace/chunks.h>

#include <QFile>
#include <QTest>
#include <unistd.h>

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

std::int64_t residentBytes()
{
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
        qPrintable(QStringLiteral("RSS grew by %1 MiB from run 2 to run 10; one run stores %2 MiB")
                       .arg((afterTenth - afterSecond) >> 20)
                       .arg(runBytes >> 20)));
}

QTEST_GUILESS_MAIN(TestStorage)
#include "tst_storage.moc"
