#pragma once

#include "../abi/arena.h"

#include <QString>
#include <memory>

namespace tl {

// The arena a traced program records into, as ThreadLab owns it: a POSIX shared-memory object only this
// user can open (mode 0600, a name no other process can guess or take first), formatted, mapped here, and
// removed when this object goes (so a crashed program leaves nothing in /dev/shm).
class ArenaSegment {
public:
    // Throws std::runtime_error with the system's reason. Each slot's ring is made smaller, down to
    // kMinSlotEvents, where /dev/shm has no room for `layout`'s.
    static std::shared_ptr<ArenaSegment> create(abi::ArenaLayout layout);
    static constexpr std::uint64_t kMinSlotEvents = std::uint64_t(1) << 13;
    ~ArenaSegment();
    ArenaSegment(const ArenaSegment&) = delete;
    ArenaSegment& operator=(const ArenaSegment&) = delete;

    // The shm_open() name the program is given (THREADLAB_ARENA).
    const QString& name() const { return m_name; }
    const abi::ArenaView& view() const { return m_view; }

private:
    ArenaSegment(QString name, void* memory, std::size_t bytes);
    QString m_name;
    void* m_memory;
    std::size_t m_bytes;
    abi::ArenaView m_view;
};

} // namespace tl
