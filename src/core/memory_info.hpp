// How much memory this machine can still give: what a solve checks before it allocates.
#pragma once

#include <cstdint>
#include <optional>

namespace rsdist {

// /proc/meminfo's MemAvailable in bytes (nullopt where it cannot be read).
std::optional<std::int64_t> host_available_memory_bytes();

}  // namespace rsdist
