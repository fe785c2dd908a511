#include "core/memory_info.hpp"

#include <fstream>
#include <sstream>
#include <string>

namespace rsdist {

std::optional<std::int64_t> host_available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    if (line.rfind("MemAvailable:", 0) != 0) continue;
    std::istringstream fields(line.substr(13));
    std::int64_t kilobytes = 0;
    if (fields >> kilobytes) return kilobytes * 1024;
  }
  return std::nullopt;
}

}  // namespace rsdist
