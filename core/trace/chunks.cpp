#include "chunks.h"

#include "prefaultedmemory.h"

#include <algorithm>
#include <pthread.h>
#include <thread>

namespace tl {

ChunkPool& ChunkPool::instance()
{
    // Never destroyed: traces held in static storage may give their chunks back during exit.
    static ChunkPool& pool = *new ChunkPool;
    return pool;
}

ChunkPool::ChunkPool()
{
    // Room for every chunk it may keep, once: give() and the warmer then never allocate, so running out of
    // memory cannot throw on their threads (the warmer's own, or a destructor's).
    m_free.reserve(kKeepBytes / kChunkBytes + kReserveChunks);
}

void* ChunkPool::take()
{
    {
        std::lock_guard lock(m_mutex);
        ++m_inUse;
        if (!m_warming) {
            m_warming = true;
            // Lives as long as the process (the pool is never destroyed); it sleeps unless the reserve is low.
            std::thread([this] { warm(); }).detach();
        }
        if (m_free.size() <= m_reserve / 2)
            m_reserve = std::min(m_reserve * 2, kReserveChunks);
        if (m_free.size() < m_reserve)
            m_low.notify_one();
        if (!m_free.empty()) {
            void* chunk = m_free.back();
            m_free.pop_back();
            return chunk;
        }
    }
    try {
        return allocatePrefaulted(kChunkBytes); // outside the lock: faulting a MiB in takes ~0.2 ms
    } catch (...) {
        std::lock_guard lock(m_mutex);
        --m_inUse;
        throw;
    }
}

void ChunkPool::give(void* chunk) noexcept
{
    {
        std::lock_guard lock(m_mutex);
        --m_inUse;
        if (m_free.size() * kChunkBytes < kKeepBytes) {
            m_free.push_back(chunk);
            return;
        }
    }
    freePrefaulted(chunk, kChunkBytes);
}

void ChunkPool::warm()
{
    pthread_setname_np(pthread_self(), "tl-chunk-warmer");
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_low.wait(lock, [this] { return m_free.size() < m_reserve; });
        lock.unlock();
        void* chunk = nullptr;
        try {
            chunk = allocatePrefaulted(kChunkBytes);
        } catch (...) {
            // Out of memory: take() will say so when it tries itself.
        }
        lock.lock();
        if (!chunk) {
            m_low.wait_for(lock, std::chrono::seconds(1));
            continue;
        }
        m_free.push_back(chunk);
    }
}

std::size_t ChunkPool::chunksInUse() const
{
    std::lock_guard lock(m_mutex);
    return m_inUse;
}

std::size_t ChunkPool::chunksFree() const
{
    std::lock_guard lock(m_mutex);
    return m_free.size();
}

} // namespace tl
