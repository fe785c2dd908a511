// Rank-aware logging (as HugeCTR's ROOT/WORLD scopes).
//
// `root` speaks once per job: only rank 0's sink is enabled. `world` speaks on every rank with a
// "[rank r/w]" prefix, for what differs between ranks. Loggers are owned and passed, never
// registered globally.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <vector>

namespace rsdist {

struct Loggers {
  std::shared_ptr<spdlog::logger> root;
  std::shared_ptr<spdlog::logger> world;
};

// Parses "trace|debug|info|warn|error|critical|off"; throws naming `option_name` otherwise.
spdlog::level::level_enum parse_log_level(const std::string& text,
                                          const std::string& option_name = "--log_level");

// Loggers writing to stderr (or to `sinks`, for tests).
Loggers make_loggers(int rank, int world_size, spdlog::level::level_enum level,
                     std::vector<spdlog::sink_ptr> sinks = {});

}  // namespace rsdist
