#pragma once

#include <QString>
#include <cstdint>

namespace tl {

// The OS's view of one thread of this process ("running", "sleeping", ...), or "finished" once it is gone.
QString threadState(std::int64_t tid);

} // namespace tl
