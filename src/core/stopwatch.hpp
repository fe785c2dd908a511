// Elapsed wall time for logs and statistics (monotonic: never jumps with the system clock).
#pragma once

#include <chrono>

namespace rsdist {

using SteadyClock = std::chrono::steady_clock;

// Seconds from `start` to now.
inline double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace rsdist
