#include "contextswitches.h"
#include "systemerror.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tl {

namespace {

// Initial-exec: in the static TLS block glibc sets up with the thread. The library is loaded with dlopen, so
// its TLS would otherwise be allocated on a thread's first access, and glibc aborts the process when that
// allocation fails ("cannot allocate memory for thread-local data"): out of memory, a worker must still fail
// cleanly.
__attribute__((tls_model("initial-exec"))) thread_local bool t_followed = false;

// 128 KiB: 4096 records, i.e. ~100 000 switches a second between two 20 ms drains. Locked memory is
// limited per user (perf_event_mlock_kb, then RLIMIT_MEMLOCK), so smaller rings are tried when refused.
constexpr std::size_t kMaxDataPages = 32;
constexpr std::size_t kMinDataPages = 2;

// What sample_id_all appends to every record, given sample_type TID | TIME | CPU.
struct SampleId {
    std::uint32_t pid, tid;
    std::uint64_t time;
    std::uint32_t cpu, reserved;
};

int openEvent(pid_t tid)
{
    perf_event_attr attr {};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY; // counts nothing: only the side-band switch records are wanted
    attr.context_switch = 1;
    // And its exit (PERF_RECORD_EXIT): the last switch-out of a dying thread is never recorded, so without
    // it a process killed while running would be drawn running until its parent notices (milliseconds).
    attr.task = 1;
    attr.sample_id_all = 1;
    attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU;
    attr.use_clockid = 1;
    attr.clockid = CLOCK_MONOTONIC;
    attr.exclude_kernel = 1; // what an unprivileged user may ask for (perf_event_paranoid 2)
    attr.exclude_hv = 1;
    return int(syscall(SYS_perf_event_open, &attr, tid, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

} // namespace

std::unique_ptr<ContextSwitches> ContextSwitches::follow(pid_t tid, QString* why)
{
    if (tid == 0)
        t_followed = false;
    if (qEnvironmentVariable("THREADLAB_CONTEXT_SWITCHES") == u"off") { // to compare, and to test the fallback
        if (why)
            *why = QStringLiteral("turned off by THREADLAB_CONTEXT_SWITCHES=off");
        return nullptr;
    }
    const int fd = openEvent(tid);
    if (fd < 0) {
        if (why)
            *why = QStringLiteral("perf_event_open: %1").arg(QString::fromStdString(systemErrorText(errno)));
        return nullptr;
    }
    const std::size_t page = std::size_t(sysconf(_SC_PAGESIZE));
    for (std::size_t pages = kMaxDataPages; pages >= kMinDataPages; pages /= 2) {
        void* ring = mmap(nullptr, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (ring != MAP_FAILED) {
            if (tid == 0)
                t_followed = true;
            return std::unique_ptr<ContextSwitches>(
                new ContextSwitches(fd, ring, pages * page, tid == 0 ? pid_t(gettid()) : tid));
        }
    }
    if (why)
        *why = QStringLiteral("perf ring: %1").arg(QString::fromStdString(systemErrorText(errno)));
    ::close(fd);
    return nullptr;
}

ContextSwitches::ContextSwitches(int fd, void* ring, std::size_t dataBytes, pid_t tid)
    : m_fd(fd)
    , m_tid(tid)
    , m_ring(ring)
    , m_dataBytes(dataBytes)
{
}

ContextSwitches::~ContextSwitches()
{
    munmap(m_ring, m_dataBytes + std::size_t(sysconf(_SC_PAGESIZE)));
    ::close(m_fd);
}

bool ContextSwitches::followsCallingThread()
{
    return t_followed;
}

void ContextSwitches::stop()
{
    ::ioctl(m_fd, PERF_EVENT_IOC_DISABLE, 0);
}

void ContextSwitches::read(std::vector<Event>& out)
{
    auto* header = static_cast<perf_event_mmap_page*>(m_ring);
    const auto* data = static_cast<const unsigned char*>(m_ring) + header->data_offset;
    // The kernel publishes data_head after writing the records before it; data_tail tells it what is free.
    const std::uint64_t head = __atomic_load_n(&header->data_head, __ATOMIC_ACQUIRE);
    std::uint64_t tail = header->data_tail;
    // The kernel drops a record it has no room for and keeps dropping until the reader frees the ring: if
    // it had less room than the largest record left, the records may stop at the last one read.
    constexpr std::uint64_t kLargestRecord = 64;
    const bool full = head - tail + kLargestRecord > m_dataBytes;
    auto copyOut = [&](std::uint64_t at, void* to, std::size_t n) {
        const std::size_t offset = std::size_t(at % m_dataBytes);
        const std::size_t first = std::min(n, m_dataBytes - offset);
        std::memcpy(to, data + offset, first);
        std::memcpy(static_cast<unsigned char*>(to) + first, data, n - first);
    };
    while (tail + sizeof(perf_event_header) <= head) {
        perf_event_header h;
        copyOut(tail, &h, sizeof h);
        if (h.size < sizeof h || tail + h.size > head)
            break;
        if (h.type == PERF_RECORD_SWITCH && h.size >= sizeof h + sizeof(SampleId)) {
            SampleId id;
            copyOut(tail + sizeof h, &id, sizeof id);
            const auto time = std::int64_t(id.time);
            const auto cpu = std::uint8_t(id.cpu < kUnknownCpu ? id.cpu : kUnknownCpu);
            m_lastTime = time;
            m_mayStopSent = false;
            if (m_pendingLost > 0) {
                out.push_back({ time, std::int32_t(std::min<std::uint64_t>(m_pendingLost, INT32_MAX)),
                    kLostSwitchRecords, kUnknownCpu, EventKind::Lost });
                m_pendingLost = 0;
            }
            if (h.misc & PERF_RECORD_MISC_SWITCH_OUT)
                out.push_back(
                    { time, (h.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) ? 1 : 0, 0, cpu, EventKind::SwitchOut });
            else
                out.push_back({ time, 0, 0, cpu, EventKind::SwitchIn });
        } else if (h.type == PERF_RECORD_EXIT && h.size >= sizeof h + 24) {
            struct {
                std::uint32_t pid, ppid, tid, ptid;
                std::uint64_t time;
            } exit;
            copyOut(tail + sizeof h, &exit, sizeof exit);
            if (pid_t(exit.tid) == m_tid) // not a thread it started (task records cover those too)
                out.push_back({ std::int64_t(exit.time), kThreadExited, 0, kUnknownCpu, EventKind::SwitchOut });
        } else if (h.type == PERF_RECORD_LOST && h.size >= sizeof h + 16) {
            std::uint64_t idAndLost[2];
            copyOut(tail + sizeof h, idAndLost, sizeof idAndLost);
            m_lost += idAndLost[1];
            m_pendingLost += idAndLost[1];
            // The records lost came after the last one read: from there the CPU is unknown. Said here, as the
            // records stream in, so that spans built live and spans built from the stored lane agree.
            if (!m_mayStopSent && m_lastTime != INT64_MIN) {
                out.push_back({ m_lastTime, kSwitchRecordsMayStop, 0, kUnknownCpu, EventKind::SwitchOut });
                m_mayStopSent = true;
            }
        }
        tail += h.size;
    }
    if (full && !m_mayStopSent && m_lastTime != INT64_MIN) {
        out.push_back({ m_lastTime, kSwitchRecordsMayStop, 0, kUnknownCpu, EventKind::SwitchOut });
        m_mayStopSent = true;
    }
    __atomic_store_n(&header->data_tail, tail, __ATOMIC_RELEASE);
}

} // namespace tl
