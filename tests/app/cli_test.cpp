#include "app/cli.hpp"
#include "app/cli_runner.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace rsdist::app {
namespace {

using Result = rsdist::testing::CliResult;

Result run(const std::vector<std::string>& args) { return rsdist::testing::run_rsdist(args); }

TEST(Cli, TopLevelHelpListsEverySubcommand) {
  const auto r = run({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const auto& sub : subcommands()) EXPECT_NE(r.out.find(sub.name), std::string::npos);
  EXPECT_EQ(run({}).code, 1);
}

TEST(Cli, EverySubcommandHasHelp) {
  for (const auto& sub : subcommands()) {
    const auto r = run({sub.name, "--help"});
    EXPECT_EQ(r.code, 0) << sub.name;
    EXPECT_NE(r.out.find(sub.summary), std::string::npos) << sub.name;
  }
}

TEST(Cli, UnknownSubcommandFailsWithItsName) {
  const auto r = run({"trian"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("unknown subcommand 'trian'"), std::string::npos);
}

TEST(Cli, EvaluateAndRecommendNameWhatTheyNeed) {
  // The trained paths are tested in tests/train/naml_training_test.cpp.
  auto r = run({"evaluate"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("give --run RUN_DIR or --checkpoint PATH"), std::string::npos) << r.err;
  r = run({"recommend", "--run", "/nonexistent/run"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--run /nonexistent/run: no checkpoints/best"), std::string::npos) << r.err;
  r = run({"evaluate", "--run", "r", "--split", "train"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("split"), std::string::npos) << r.err;
}

TEST(Cli, VersionReportsLibrariesAndBackends) {
  const auto r = run({"version"});
  EXPECT_EQ(r.code, 0);
  for (const char* needle : {"rsdist 0.1.0", "libtorch", "hdf5", "cuda", "nccl", "mpi"}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
}

TEST(Cli, ErrorsAreLoggedOnceWithRankPrefix) {
  const auto r = run({"version", "--log_level", "loud"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("[rank 0/1] [error] invalid value 'loud' for --log_level"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("invalid value", r.err.find("invalid value") + 1), std::string::npos);
}

}  // namespace
}  // namespace rsdist::app
