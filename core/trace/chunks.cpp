#include "chunks.h"

#include "prefaultedmemory.h"

namespace tl {

ChunkPool& ChunkPool::instance()
{
    // Never destroyed: traces held in static storage may give their chunks back during exit.
    static ChunkPool& pool = *new ChunkPool;
    return pool;
}

void* ChunkPool::take()
{
    {
        std::lock_guard lock(m_mutex);
        ++m_inUse;
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
