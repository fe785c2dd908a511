#include "core/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "core/error.hpp"

namespace rsdist {
namespace {

std::string log_both(int rank, int world, spdlog::level::level_enum level) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  Loggers log = make_loggers(rank, world, level, {sink});
  log.root->info("root says hi");
  log.world->info("world says hi");
  log.world->debug("debug detail");
  return out.str();
}

TEST(Logging, RootWritesOnlyOnRankZero) {
  const std::string rank0 = log_both(0, 4, spdlog::level::info);
  const std::string rank3 = log_both(3, 4, spdlog::level::info);
  EXPECT_NE(rank0.find("root says hi"), std::string::npos);
  EXPECT_EQ(rank3.find("root says hi"), std::string::npos);
}

TEST(Logging, WorldIsPrefixedWithRankAndWorldSize) {
  const std::string rank3 = log_both(3, 4, spdlog::level::info);
  EXPECT_NE(rank3.find("[rank 3/4]"), std::string::npos);
  EXPECT_NE(rank3.find("world says hi"), std::string::npos);
}

TEST(Logging, LevelFiltersMessages) {
  EXPECT_EQ(log_both(0, 1, spdlog::level::info).find("debug detail"), std::string::npos);
  EXPECT_NE(log_both(0, 1, spdlog::level::debug).find("debug detail"), std::string::npos);
  EXPECT_EQ(log_both(0, 1, spdlog::level::off), "");
}

TEST(Logging, ParsesLevelsAndRejectsOthersNamingTheOption) {
  EXPECT_EQ(parse_log_level("warn"), spdlog::level::warn);
  EXPECT_EQ(parse_log_level("trace"), spdlog::level::trace);
  try {
    parse_log_level("loud", "--log_level");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("invalid value 'loud' for --log_level"), std::string::npos);
  }
}

}  // namespace
}  // namespace rsdist
