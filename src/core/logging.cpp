#include "core/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "core/error.hpp"

namespace rsdist {

spdlog::level::level_enum parse_log_level(const std::string& text, const std::string& option_name) {
  static constexpr const char* kNames[] = {"trace", "debug", "info", "warn",
                                           "error", "critical", "off"};
  for (int i = 0; i < 7; ++i) {
    if (text == kNames[i]) return static_cast<spdlog::level::level_enum>(i);
  }
  RSDIST_THROW("invalid value '{}' for {}: expected one of trace, debug, info, warn, error, "
               "critical, off",
               text, option_name);
}

Loggers make_loggers(int rank, int world_size, spdlog::level::level_enum level,
                     std::vector<spdlog::sink_ptr> sinks) {
  if (sinks.empty()) sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  Loggers loggers;
  loggers.root = std::make_shared<spdlog::logger>("root", sinks.begin(), sinks.end());
  loggers.root->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
  loggers.root->set_level(rank == 0 ? level : spdlog::level::off);
  loggers.world = std::make_shared<spdlog::logger>("world", sinks.begin(), sinks.end());
  loggers.world->set_pattern(
      fmt::format("[%H:%M:%S.%e] [rank {}/{}] [%^%l%$] %v", rank, world_size));
  loggers.world->set_level(level);
  for (auto* logger : {loggers.root.get(), loggers.world.get()}) {
    logger->flush_on(spdlog::level::warn);
  }
  return loggers;
}

}  // namespace rsdist
