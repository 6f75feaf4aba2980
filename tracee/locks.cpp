// Lock ids: which arena LockEntry an object of this process is. A fixed open-addressing table (no malloc: it
// runs inside pthread_mutex_lock), inserted into without a lock: a new key is claimed by CAS, the claimer
// fills in the arena entry and publishes its id, and anyone meeting the key meanwhile waits for the id.
#include "tracee.h"

#include <climits>
#include <cstring>
#include <sched.h>
#include <unistd.h>

namespace tl::tracee {

namespace {

constexpr std::size_t kTableSize = std::size_t(1) << 16;
constexpr int kMaxProbes = 256;
constexpr std::uint32_t kPending = 0; // the key is claimed, its entry being filled in
constexpr std::uint32_t kNoEntry = UINT32_MAX; // the arena's table was full: events carry lock 0
// Zones and counters are keyed by their name's address, tagged so as never to meet an object's address.
constexpr std::uintptr_t kZoneTag = std::uintptr_t(1) << 63;
constexpr std::uintptr_t kCounterTag = std::uintptr_t(1) << 62;

struct Local {
    std::atomic<std::uintptr_t> key;
    std::atomic<std::uint32_t> id; // arena index + 1, kPending or kNoEntry
};
Local g_table[kTableSize];

std::size_t hashOf(std::uintptr_t key)
{
    return std::size_t(((key >> 3) * 0x9E3779B97F4A7C15ull) >> 48) & (kTableSize - 1);
}

std::uint32_t waitFor(Local& e)
{
    // The claimer is naming the object (a few microseconds). Bounded: a fork child may have inherited a
    // key whose claimer was another thread of its parent, which will never finish here.
    for (int spin = 0; spin < 20000; ++spin) {
        const std::uint32_t id = e.id.load(std::memory_order_acquire);
        if (id != kPending)
            return id;
        if (spin > 64)
            sched_yield();
    }
    return kNoEntry;
}

void countMissing()
{
    g_view.header().objectsWithoutEntry.fetch_add(1, std::memory_order_relaxed);
}

template <typename Fill> std::uint32_t findOrAdd(std::uintptr_t key, Fill&& fill, bool* added = nullptr)
{
    std::size_t i = hashOf(key);
    for (int probe = 0; probe < kMaxProbes; ++probe, i = (i + 1) & (kTableSize - 1)) {
        Local& e = g_table[i];
        std::uintptr_t k = e.key.load(std::memory_order_acquire);
        if (k == key) [[likely]]
            return waitFor(e);
        if (k == 0) {
            if (e.key.compare_exchange_strong(k, key, std::memory_order_acq_rel)) {
                const std::uint32_t id = fill();
                e.id.store(id, std::memory_order_release);
                if (added)
                    *added = true;
                return id;
            }
            if (k == key)
                return waitFor(e);
        }
    }
    countMissing();
    return kNoEntry;
}

std::int64_t find(std::uintptr_t key)
{
    std::size_t i = hashOf(key);
    for (int probe = 0; probe < kMaxProbes; ++probe, i = (i + 1) & (kTableSize - 1)) {
        Local& e = g_table[i];
        const std::uintptr_t k = e.key.load(std::memory_order_acquire);
        if (k == key)
            return waitFor(e);
        if (k == 0)
            return -1;
    }
    return -1;
}

// Takes the next arena LockEntry (ids fit an event's 16-bit field), fills it in and marks it ready.
std::uint32_t claimLockEntry(abi::ObjectKind kind, std::uintptr_t address, const char* name)
{
    auto& header = g_view.header();
    const std::uint32_t limit = std::min<std::uint32_t>(header.lockCount, 65535);
    std::uint32_t index = header.nextLock.load(std::memory_order_relaxed);
    do {
        if (index >= limit) {
            countMissing();
            return kNoEntry;
        }
    } while (!header.nextLock.compare_exchange_weak(index, index + 1, std::memory_order_acq_rel));
    abi::LockEntry& e = g_view.lock(index);
    e.pid = std::int32_t(getpid());
    e.address = address & ~(kZoneTag | kCounterTag);
    e.kind = kind;
    abi::copyName(e.name, sizeof e.name, name);
    e.ready.store(1, std::memory_order_release);
    return index + 1;
}

// An entry of this kind and name that any process of the run made (sem_open names, zones): its id, or 0.
std::uint32_t entryNamed(abi::ObjectKind kind, const char* name)
{
    auto& header = g_view.header();
    const std::uint32_t used = std::min(header.nextLock.load(std::memory_order_acquire), header.lockCount);
    for (std::uint32_t i = 0; i < used; ++i) {
        const abi::LockEntry& e = g_view.lock(i);
        if (e.ready.load(std::memory_order_acquire) && e.kind == kind
            && std::strncmp(e.name, name, sizeof e.name - 1) == 0)
            return i + 1;
    }
    return 0;
}

void appendHex(char* out, std::size_t n, std::uintptr_t value)
{
    char digits[2 + 2 * sizeof value + 1];
    int i = int(sizeof digits) - 1;
    digits[i] = '\0';
    do {
        digits[--i] = "0123456789abcdef"[value & 0xf];
        value >>= 4;
    } while (value && i > 2);
    digits[--i] = 'x';
    digits[--i] = '0';
    const std::size_t used = std::strlen(out);
    abi::copyName(out + used, n - used, digits + i);
}

// What the window calls an object: its symbol ("counter_lock"), else the call site that first took it
// ("worker+0x1f", "libfoo.so+0x1234"), else its address.
void describe(const void* address, const void* caller, char* out, std::size_t n)
{
    out[0] = '\0';
    if (symbolName(address, true, out, n))
        return;
    if (caller && symbolName(caller, false, out, n))
        return;
    appendHex(out, n, std::uintptr_t(address));
}

std::uint16_t toEvent(std::uint32_t id)
{
    return id == kNoEntry ? 0 : std::uint16_t(id);
}

} // namespace

std::uint16_t lockId(const void* address, abi::ObjectKind kind, const void* caller) noexcept
{
    return toEvent(findOrAdd(std::uintptr_t(address), [&] {
        char name[abi::kObjectNameBytes];
        describe(address, caller, name, sizeof name);
        return claimLockEntry(kind, std::uintptr_t(address), name);
    }));
}

int knownLockId(const void* address) noexcept
{
    const std::int64_t id = find(std::uintptr_t(address));
    return id < 0 ? -1 : toEvent(std::uint32_t(id));
}

std::uint16_t namedSemaphoreId(const void* address, const char* name) noexcept
{
    return toEvent(findOrAdd(std::uintptr_t(address), [&] {
        const std::uint32_t existing = entryNamed(abi::ObjectKind::Semaphore, name);
        return existing ? existing : claimLockEntry(abi::ObjectKind::Semaphore, std::uintptr_t(address), name);
    }));
}

std::uint16_t zoneId(const char* name) noexcept
{
    return toEvent(findOrAdd(std::uintptr_t(name) | kZoneTag, [&] {
        const std::uint32_t existing = entryNamed(abi::ObjectKind::Zone, name);
        return existing ? existing : claimLockEntry(abi::ObjectKind::Zone, std::uintptr_t(name), name);
    }));
}

abi::CounterEntry* counterEntry(const char* name) noexcept
{
    const std::uint32_t id = findOrAdd(std::uintptr_t(name) | kCounterTag, [&]() -> std::uint32_t {
        auto& header = g_view.header();
        const auto pid = std::int32_t(getpid());
        const std::uint32_t used = std::min(header.nextCounter.load(std::memory_order_acquire), header.counterCount);
        for (std::uint32_t i = 0; i < used; ++i) {
            const abi::CounterEntry& c = g_view.counter(i);
            if (c.ready.load(std::memory_order_acquire) && c.pid == pid
                && std::strncmp(c.name, name, sizeof c.name - 1) == 0)
                return i + 1;
        }
        std::uint32_t index = header.nextCounter.load(std::memory_order_relaxed);
        do {
            if (index >= header.counterCount) {
                countMissing();
                return kNoEntry;
            }
        } while (!header.nextCounter.compare_exchange_weak(index, index + 1, std::memory_order_acq_rel));
        abi::CounterEntry& c = g_view.counter(index);
        c.pid = pid;
        abi::copyName(c.name, sizeof c.name, name);
        c.ready.store(1, std::memory_order_release);
        return index + 1;
    });
    return id == kNoEntry ? nullptr : &g_view.counter(id - 1);
}

std::uint16_t newNamedLock(const void* address, const char* name) noexcept
{
    return toEvent(claimLockEntry(abi::ObjectKind::Mutex, std::uintptr_t(address), name));
}

void nameLock(const void* address, const char* name) noexcept
{
    bool added = false;
    const std::uint32_t id = findOrAdd(
        std::uintptr_t(address), [&] { return claimLockEntry(abi::ObjectKind::Mutex, std::uintptr_t(address), name); },
        &added);
    if (!added && id != kNoEntry)
        abi::copyName(g_view.lock(id - 1).name, abi::kObjectNameBytes, name);
}

} // namespace tl::tracee
