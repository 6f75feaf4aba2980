#pragma once

#include <cstddef>

namespace tl {

// Private memory with every page faulted in before it is returned, so a hot path writing into it never
// takes a page fault. The kernel does it (no user-space pass over the memory), which is also what keeps
// setting up a run quick under sanitizers. Per-OS: prefaultedmemory_linux.cpp. Throws std::bad_alloc.
void* allocatePrefaulted(std::size_t bytes);
void freePrefaulted(void* memory, std::size_t bytes) noexcept;

} // namespace tl
