#pragma once

#include <cstddef>
#include <functional>

namespace tl {

// Whole-buffer transfers on a pipe or socket descriptor, retried after EINTR and short reads or writes.
// False when the other end is gone (end of file, EPIPE) or on another error. Processes that use these
// ignore SIGPIPE (child mode and Children see to it), so a vanished reader is an error, not a death.
bool readAll(int fd, void* data, std::size_t bytes);
bool writeAll(int fd, const void* data, std::size_t bytes);
// The same, but false soon after `stopped()` turns true, even when the other end neither reads nor writes:
// waits in poll() with a short timeout and moves at most kStoppableChunk bytes per system call.
constexpr std::size_t kStoppableChunk = std::size_t { 64 } * 1024;
bool readAll(int fd, void* data, std::size_t bytes, const std::function<bool()>& stopped);
bool writeAll(int fd, const void* data, std::size_t bytes, const std::function<bool()>& stopped);

} // namespace tl
