#pragma once

#include <cstdint>
#include <functional>

namespace tl {

// number! computed exactly with GMP, one multiplication at a time (as Python's math.factorial works through
// its product), so that a long computation can pause, yield a lock or stop between steps. `checkpoint` is
// called every few hundred multiplications; when it returns false the computation stops and -1 is returned.
// Otherwise returns the number of decimal digits of the result, counted from its decimal text.
std::int64_t factorialDigits(std::uint64_t number, const std::function<bool()>& checkpoint);

} // namespace tl
