#pragma once

#include "event.h"

#include <cstddef>

namespace tl {

// Memory for a recorder's ring, with every page faulted in before the first event, so the hot path never
// takes a page fault. The kernel does it (no user-space pass over the memory), which is also what keeps
// setting up a run quick under sanitizers. Per-OS: eventbuffer_linux.cpp.
class EventBuffer {
public:
    explicit EventBuffer(std::size_t events);
    ~EventBuffer();
    EventBuffer(const EventBuffer&) = delete;
    EventBuffer& operator=(const EventBuffer&) = delete;

    Event* data() const noexcept { return m_events; }

private:
    Event* m_events;
    std::size_t m_bytes;
};

} // namespace tl
