#pragma once

#include <cstddef>

namespace tl {

// Whole-buffer transfers on a pipe or socket descriptor, retried after EINTR and short reads or writes.
// False when the other end is gone (end of file, EPIPE) or on another error. Processes that use these
// ignore SIGPIPE (child mode and Children see to it), so a vanished reader is an error, not a death.
bool readAll(int fd, void* data, std::size_t bytes);
bool writeAll(int fd, const void* data, std::size_t bytes);

} // namespace tl
