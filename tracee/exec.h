#pragma once

namespace tl::tracee {

// Copies THREADLAB_ARENA and this library's LD_PRELOAD entry into static storage, so that every exec the
// program makes gets them back, even after clearenv() or with an environment of its own making.
void keepEnvironment(const char* arena, const char* preload) noexcept;

} // namespace tl::tracee
