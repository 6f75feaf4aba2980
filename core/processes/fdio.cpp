#include "fdio.h"

#include <cerrno>
#include <unistd.h>

namespace tl {

namespace {
template <typename Io> bool transferAll(Io io, char* data, std::size_t bytes)
{
    while (bytes > 0) {
        const ssize_t n = io(data, bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        bytes -= std::size_t(n);
    }
    return true;
}
}

bool readAll(int fd, void* data, std::size_t bytes)
{
    return transferAll([fd](char* p, std::size_t n) { return ::read(fd, p, n); }, static_cast<char*>(data), bytes);
}

bool writeAll(int fd, const void* data, std::size_t bytes)
{
    return transferAll([fd](char* p, std::size_t n) { return ::write(fd, p, n); },
        const_cast<char*>(static_cast<const char*>(data)), bytes);
}

} // namespace tl
