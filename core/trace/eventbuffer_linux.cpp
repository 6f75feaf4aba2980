#include "eventbuffer.h"

#include <new>
#include <sys/mman.h>

namespace tl {

EventBuffer::EventBuffer(std::size_t events)
    : m_bytes(events * sizeof(Event))
{
    void* p = mmap(nullptr, m_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
        throw std::bad_alloc();
    m_events = static_cast<Event*>(p);
}

EventBuffer::~EventBuffer()
{
    munmap(m_events, m_bytes);
}

} // namespace tl
