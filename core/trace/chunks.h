#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <mutex>
#include <span>
#include <type_traits>
#include <vector>

namespace tl {

// Fixed-size blocks of pre-faulted memory, recycled from run to run. A run's lanes are stored in them, so
// storing an event is one copy into memory that is already resident: no vector growth, no reallocation
// copy, no page fault on the collector's path once the pool is warm. Blocks freed by a finished run go back
// to the pool for the next one; beyond kKeepBytes they are returned to the system, so a window that has
// done 500 runs holds at most one large run's worth.
//
// Faulting fresh memory in costs 0.7-3.5 ms a MiB on a small VM: done by a writer or the collector, it
// would stall them. So a warmer thread keeps chunks faulted ahead of demand, and take() only faults a chunk
// itself when the warmer has fallen behind. The reserve follows demand, from kFirstReserve up to
// kReserveChunks (doubling whenever takes drain half of it): faulting 64 MiB up front would cost a short
// run on two cores 20 ms of its CPU time.
class ChunkPool {
public:
    static constexpr std::size_t kChunkBytes = std::size_t(1) << 20;
    static constexpr std::size_t kKeepBytes = std::size_t(512) << 20;
    static constexpr std::size_t kReserveChunks = 64;
    static constexpr std::size_t kFirstReserve = 4;

    static ChunkPool& instance();
    void* take();
    void give(void* chunk) noexcept;
    // Blocks held, in use or free: for tests and the soak benchmark.
    std::size_t chunksInUse() const;
    std::size_t chunksFree() const;

private:
    ChunkPool();
    void warm();

    mutable std::mutex m_mutex;
    std::condition_variable m_low; // the reserve ran low
    std::vector<void*> m_free;
    std::size_t m_inUse = 0;
    std::size_t m_reserve = kFirstReserve; // what the warmer keeps free
    bool m_warming = false; // the warmer thread exists
};

// An append-only sequence of trivially copyable T in ChunkPool blocks. Indexing is two loads; elements never
// move once written, so a pointer to one stays valid while the sequence lives.
template <typename T> class ChunkedVector {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    static constexpr std::size_t kPerChunk = ChunkPool::kChunkBytes / sizeof(T);

    ChunkedVector() = default;
    ChunkedVector(std::initializer_list<T> items) { append(std::span<const T>(items.begin(), items.size())); }
    explicit ChunkedVector(std::span<const T> items) { append(items); }
    ChunkedVector(const std::vector<T>& items) { append(std::span<const T>(items)); }
    ChunkedVector(const ChunkedVector& other) { *this = other; }
    ChunkedVector(ChunkedVector&& other) noexcept { swap(other); }
    ChunkedVector& operator=(const ChunkedVector& other)
    {
        if (this != &other) {
            clear();
            for (std::size_t c = 0; c < other.m_chunks.size(); ++c)
                append(std::span<const T>(other.m_chunks[c], other.chunkLength(c)));
        }
        return *this;
    }
    ChunkedVector& operator=(ChunkedVector&& other) noexcept
    {
        ChunkedVector gone(std::move(*this));
        swap(other);
        return *this;
    }
    ~ChunkedVector() { clear(); }
    void swap(ChunkedVector& other) noexcept
    {
        m_chunks.swap(other.m_chunks);
        std::swap(m_size, other.m_size);
    }

    std::size_t size() const noexcept { return m_size; }
    bool empty() const noexcept { return m_size == 0; }
    const T& operator[](std::size_t i) const noexcept { return m_chunks[i / kPerChunk][i % kPerChunk]; }
    T& operator[](std::size_t i) noexcept { return m_chunks[i / kPerChunk][i % kPerChunk]; }
    const T& front() const noexcept { return (*this)[0]; }
    const T& back() const noexcept { return (*this)[m_size - 1]; }
    T& back() noexcept { return (*this)[m_size - 1]; }

    void push_back(const T& item)
    {
        if (m_size == m_chunks.size() * kPerChunk)
            m_chunks.push_back(static_cast<T*>(ChunkPool::instance().take()));
        m_chunks.back()[m_size % kPerChunk] = item;
        ++m_size;
    }
    // Room for up to `n` more elements, contiguous: write them, then commit() how many were written.
    std::span<T> tail(std::size_t n)
    {
        if (m_size == m_chunks.size() * kPerChunk)
            m_chunks.push_back(static_cast<T*>(ChunkPool::instance().take()));
        const std::size_t at = m_size % kPerChunk;
        return { m_chunks.back() + at, std::min(n, kPerChunk - at) };
    }
    void commit(std::size_t n) noexcept { m_size += n; }
    void append(std::span<const T> items)
    {
        while (!items.empty()) {
            const auto room = tail(items.size());
            std::memcpy(room.data(), items.data(), room.size() * sizeof(T));
            commit(room.size());
            items = items.subspan(room.size());
        }
    }
    void pop_back() noexcept { --m_size; }
    void resize(std::size_t n)
    {
        while (m_size < n)
            push_back(T {});
        m_size = n;
    }
    void clear() noexcept
    {
        for (T* chunk : m_chunks)
            ChunkPool::instance().give(chunk);
        m_chunks.clear();
        m_size = 0;
    }
    // The elements as contiguous pieces, in order.
    template <typename F> void forEachPiece(F&& f) const
    {
        for (std::size_t c = 0; c < m_chunks.size(); ++c)
            if (const std::size_t n = chunkLength(c); n > 0)
                f(std::span<const T>(m_chunks[c], n));
    }
    std::size_t bytes() const noexcept { return m_chunks.size() * ChunkPool::kChunkBytes; }

    class const_iterator {
    public:
        using iterator_category = std::random_access_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = const T*;
        using reference = const T&;
        const_iterator() = default;
        const_iterator(const ChunkedVector* v, std::size_t i)
            : m_v(v)
            , m_i(i)
        {
        }
        reference operator*() const { return (*m_v)[m_i]; }
        pointer operator->() const { return &(*m_v)[m_i]; }
        reference operator[](difference_type d) const { return (*m_v)[std::size_t(difference_type(m_i) + d)]; }
        const_iterator& operator++()
        {
            ++m_i;
            return *this;
        }
        const_iterator operator++(int)
        {
            auto t = *this;
            ++m_i;
            return t;
        }
        const_iterator& operator--()
        {
            --m_i;
            return *this;
        }
        const_iterator operator--(int)
        {
            auto t = *this;
            --m_i;
            return t;
        }
        const_iterator& operator+=(difference_type d)
        {
            m_i = std::size_t(difference_type(m_i) + d);
            return *this;
        }
        const_iterator& operator-=(difference_type d) { return *this += -d; }
        friend const_iterator operator+(const_iterator it, difference_type d) { return it += d; }
        friend const_iterator operator+(difference_type d, const_iterator it) { return it += d; }
        friend const_iterator operator-(const_iterator it, difference_type d) { return it -= d; }
        friend difference_type operator-(const const_iterator& a, const const_iterator& b)
        {
            return difference_type(a.m_i) - difference_type(b.m_i);
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.m_i == b.m_i; }
        friend auto operator<=>(const const_iterator& a, const const_iterator& b) { return a.m_i <=> b.m_i; }

    private:
        const ChunkedVector* m_v = nullptr;
        std::size_t m_i = 0;
    };
    const_iterator begin() const { return { this, 0 }; }
    const_iterator end() const { return { this, m_size }; }

private:
    std::size_t chunkLength(std::size_t c) const noexcept
    {
        return std::min(kPerChunk, m_size - std::min(m_size, c * kPerChunk));
    }
    std::vector<T*> m_chunks;
    std::size_t m_size = 0;
};

} // namespace tl
