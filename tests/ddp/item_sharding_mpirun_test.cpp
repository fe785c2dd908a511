// The sharded item table under mpirun on 2 and 3 ranks (item_sharding_mpi_ranks.cpp): the same
// checks as on threads, through the MPI communicator.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/mpi_job.hpp"

namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ShardedTableUnderMpirun : public ::testing::TestWithParam<int> {};

TEST_P(ShardedTableUnderMpirun, MatchesTheReplicatedTableOnEveryRank) {
  const std::filesystem::path log = std::filesystem::temp_directory_path() /
                                    ("item_sharding_np" + std::to_string(GetParam()) + ".log");
  const int code =
      rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, GetParam(), RSDIST_SHARDING_RANKS, "--gtest_color=no", log);
  const std::string output = read_all(log);
  EXPECT_EQ(code, 0) << output;
  // Every rank ran every check (a filter or a crash would pass fewer).
  std::size_t passed = 0;
  for (std::size_t at = output.find("[  PASSED  ] 4 tests."); at != std::string::npos;
       at = output.find("[  PASSED  ] 4 tests.", at + 1)) {
    ++passed;
  }
  EXPECT_EQ(passed, static_cast<std::size_t>(GetParam())) << output;
  std::filesystem::remove(log);
}

INSTANTIATE_TEST_SUITE_P(Ranks, ShardedTableUnderMpirun, ::testing::Values(2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "_ranks"; });

}  // namespace
