#pragma once

#include <string>

namespace tl {

// The system's words for an errno value ("No such file or directory"). Safe on any thread, where strerror()
// may hand two threads the same buffer.
std::string systemErrorText(int error);

} // namespace tl
