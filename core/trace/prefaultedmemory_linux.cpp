#include "prefaultedmemory.h"

#include <new>
#include <sys/mman.h>

namespace tl {

void* allocatePrefaulted(std::size_t bytes)
{
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
        throw std::bad_alloc();
    return p;
}

void freePrefaulted(void* memory, std::size_t bytes) noexcept
{
    munmap(memory, bytes);
}

} // namespace tl
