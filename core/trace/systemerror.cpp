#include "systemerror.h"

#include <cstring>

namespace tl {

std::string systemErrorText(int error)
{
    char buffer[256];
    // The GNU strerror_r: the message, in `buffer` or in a constant string of the C library's.
    return strerror_r(error, buffer, sizeof buffer);
}

} // namespace tl
