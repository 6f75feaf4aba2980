#include "fdio.h"

#include <algorithm>
#include <cerrno>
#include <poll.h>
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

constexpr int kStopCheckMs = 50;

// Waits until `fd` is ready for `events`; false once `stopped()`.
bool readyUnlessStopped(int fd, short events, const std::function<bool()>& stopped)
{
    for (;;) {
        if (stopped())
            return false;
        pollfd p { fd, events, 0 };
        if (::poll(&p, 1, kStopCheckMs) > 0)
            return true; // ready, or an error or hang-up the next call reports
    }
}
}

bool readAll(int fd, void* data, std::size_t bytes, const std::function<bool()>& stopped)
{
    return transferAll(
        [&](char* p, std::size_t n) {
            return readyUnlessStopped(fd, POLLIN, stopped) ? ::read(fd, p, std::min(n, kStoppableChunk)) : ssize_t(0);
        },
        static_cast<char*>(data), bytes);
}

bool writeAll(int fd, const void* data, std::size_t bytes, const std::function<bool()>& stopped)
{
    return transferAll(
        [&](char* p, std::size_t n) {
            return readyUnlessStopped(fd, POLLOUT, stopped) ? ::write(fd, p, std::min(n, kStoppableChunk)) : ssize_t(0);
        },
        const_cast<char*>(static_cast<const char*>(data)), bytes);
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
