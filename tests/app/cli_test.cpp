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

TEST(Cli, StubsSayNotImplementedAndFail) {
  // preprocess and inspect are implemented; `preprocess mind` is tested in preprocess_seq_test.
  for (const char* name : {"evaluate", "recommend"}) {
    const auto r = run({name, "mind"});
    EXPECT_EQ(r.code, 1) << name;
    EXPECT_NE(r.err.find("not implemented yet"), std::string::npos) << name;
  }
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
