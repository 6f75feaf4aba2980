#include "arenasegment.h"

#include "../trace/clock.h"
#include "../trace/systemerror.h"

#include <QRandomGenerator>
#include <cerrno>
#include <fcntl.h>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace tl {

std::shared_ptr<ArenaSegment> ArenaSegment::create(abi::ArenaLayout layout)
{
    // Smaller rings where /dev/shm is small (a container's is 64 MiB): they fill sooner, and what they lose
    // is shown as gaps, but the program is traced.
    struct statvfs shm { };
    if (::statvfs("/dev/shm", &shm) == 0)
        while (layout.slotEvents > kMinSlotEvents && layout.totalBytes() > std::uint64_t(shm.f_bavail) * shm.f_frsize)
            layout.slotEvents /= 2;
    const std::size_t bytes = layout.totalBytes();
    for (int attempt = 0;; ++attempt) {
        const QString name = QStringLiteral("/threadlab-arena-%1-%2")
                                 .arg(getpid())
                                 .arg(QRandomGenerator::system()->generate64(), 16, 16, QLatin1Char('0'));
        const QByteArray path = name.toLocal8Bit();
        const int fd = ::shm_open(path.constData(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST && attempt < 8)
            continue;
        if (fd < 0)
            throw std::runtime_error("cannot create the trace's shared memory: " + systemErrorText(errno));
        // A /dev/shm without room for the whole arena fails here, with a reason, rather than with a SIGBUS in
        // the program the first time one of its threads records. The pages themselves come as threads write
        // them: reserving them all (posix_fallocate) would zero 128 MiB before the program may start.
        struct statvfs room { };
        const bool fits = ::fstatvfs(fd, &room) == 0 && std::uint64_t(room.f_bavail) * room.f_frsize >= bytes;
        const int sized = fits ? ::ftruncate(fd, off_t(bytes)) : -1;
        void* memory = sized == 0 ? ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
        const int error = !fits ? ENOSPC : errno;
        ::close(fd);
        if (memory == MAP_FAILED) {
            ::shm_unlink(path.constData());
            throw std::runtime_error("cannot make the trace's shared memory (" + std::to_string(bytes >> 20)
                + " MiB in /dev/shm): " + systemErrorText(error));
        }
        abi::formatArena(memory, layout, std::uint32_t(clock::tickSource()), std::int32_t(getpid()));
        return std::shared_ptr<ArenaSegment>(new ArenaSegment(name, memory, bytes));
    }
}

ArenaSegment::ArenaSegment(QString name, void* memory, std::size_t bytes)
    : m_name(std::move(name))
    , m_memory(memory)
    , m_bytes(bytes)
    , m_view(memory, bytes)
{
}

ArenaSegment::~ArenaSegment()
{
    ::shm_unlink(m_name.toLocal8Bit().constData());
    ::munmap(m_memory, m_bytes);
}

} // namespace tl
