#pragma once

// An arena of the tests' own (tests/tracee/): formatted as ThreadLab formats one for a traced run, named for
// THREADLAB_ARENA, and read back directly (slots, lock entries, each slot's Recorder drained): an oracle
// independent of ThreadLab's launcher and collector.

#include <abi/arena.h>
#include <trace/clock.h>
#include <trace/event.h>
#include <trace/recorder.h>

#include <QProcess>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <span>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace tl::test {

// A formatted arena in a shm object of its own, as ThreadLab makes one for a traced run.
class Arena {
public:
    explicit Arena(std::uint32_t slotCount = 64, std::uint64_t slotEvents = std::uint64_t(1) << 15)
        : m_layout { slotCount, 256, 16, 64, slotEvents }
    {
        static int serial = 0;
        m_name = QStringLiteral("/threadlab-arena-tst-%1-%2").arg(getpid()).arg(++serial);
        const int fd = shm_open(m_name.toLocal8Bit().constData(), O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd < 0)
            return;
        m_bytes = m_layout.totalBytes();
        if (ftruncate(fd, off_t(m_bytes)) == 0)
            m_memory = mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (m_memory == MAP_FAILED) {
            m_memory = nullptr;
            return;
        }
        abi::formatArena(m_memory, m_layout, std::uint32_t(clock::tickSource()), std::int32_t(getpid()));
        m_view = abi::ArenaView(m_memory, m_bytes);
    }
    ~Arena()
    {
        if (m_memory)
            munmap(m_memory, m_bytes);
        shm_unlink(m_name.toLocal8Bit().constData());
    }
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;

    bool valid() const { return m_view.valid(); }
    const QString& name() const { return m_name; }
    const abi::ArenaView& view() const { return m_view; }

    struct Lane {
        std::uint32_t index;
        abi::SlotState state;
        int pid;
        int ppid;
        int tid;
        QString name;
        std::vector<Event> events;
    };
    // Every claimed slot with its events, drained.
    std::vector<Lane> lanes() const
    {
        std::vector<Lane> out;
        const auto& header = m_view.header();
        const std::uint32_t used = std::min(header.nextSlot.load(), header.slotCount);
        for (std::uint32_t i = 0; i < used; ++i) {
            abi::Slot& slot = m_view.slot(i);
            Lane lane { i, slot.state.load(), slot.pid, slot.ppid, slot.tid,
                QString::fromLocal8Bit(slot.name, qsizetype(strnlen(slot.name, sizeof slot.name))), {} };
            m_view.recorder(slot).drain([&](std::span<const Event> events) {
                lane.events.insert(lane.events.end(), events.begin(), events.end());
            });
            out.push_back(std::move(lane));
        }
        return out;
    }
    // The event id (index + 1) of the lock entry with this name, 0 if none.
    std::uint16_t lockNamed(const QString& name) const
    {
        const std::uint32_t used = std::min(m_view.header().nextLock.load(), m_view.header().lockCount);
        for (std::uint32_t i = 0; i < used; ++i)
            if (m_view.lock(i).ready.load() && QString::fromLocal8Bit(m_view.lock(i).name) == name)
                return std::uint16_t(i + 1);
        return 0;
    }
    const abi::LockEntry& lock(std::uint16_t id) const { return m_view.lock(id - 1u); }

private:
    abi::ArenaLayout m_layout;
    QString m_name;
    void* m_memory = nullptr;
    std::size_t m_bytes = 0;
    abi::ArenaView m_view;
};

// How a traced test program ended, and what it wrote.
struct Ran {
    bool finished = false;
    int exitCode = -1;
    qint64 pid = 0;
    QByteArray out;
    QByteArray err;
};

// Runs `program` to its end in `env` (the tests' own choice of LD_PRELOAD, THREADLAB_ARENA...).
inline Ran runProgram(const QString& program, const QStringList& args, const QProcessEnvironment& env)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    Ran ran;
    if (!p.waitForStarted(30000))
        return ran;
    ran.pid = p.processId();
    ran.finished = p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit;
    ran.exitCode = p.exitCode();
    ran.out = p.readAllStandardOutput();
    ran.err = p.readAllStandardError();
    return ran;
}

} // namespace tl::test
