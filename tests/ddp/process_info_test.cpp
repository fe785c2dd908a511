#include "ddp/process_info.hpp"

#include <gtest/gtest.h>

#include <map>

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ProcessInfo, PlainProcessIsRankZeroOfOne) {
  const auto info = detect_process_info(env_of({}));
  EXPECT_EQ(info.launcher, Launcher::kNone);
  EXPECT_EQ(info.rank, 0);
  EXPECT_EQ(info.world_size, 1);
  EXPECT_EQ(info.node_count, 1);
}

TEST(ProcessInfo, OpenMpiWinsOverTheSlurmAllocationAroundIt) {
  const auto info = detect_process_info(env_of({{"OMPI_COMM_WORLD_RANK", "5"},
                                                {"OMPI_COMM_WORLD_SIZE", "8"},
                                                {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                                                {"OMPI_COMM_WORLD_LOCAL_SIZE", "4"},
                                                {"SLURM_PROCID", "0"},
                                                {"SLURM_NTASKS", "1"}}));
  EXPECT_EQ(info.launcher, Launcher::kOpenMpi);
  EXPECT_EQ(info.rank, 5);
  EXPECT_EQ(info.world_size, 8);
  EXPECT_EQ(info.local_rank, 1);
  EXPECT_EQ(info.local_world_size, 4);
  EXPECT_EQ(info.node_count, 2);
}

TEST(ProcessInfo, SlurmSrun) {
  const auto info = detect_process_info(env_of({{"SLURM_PROCID", "6"},
                                                {"SLURM_NTASKS", "16"},
                                                {"SLURM_LOCALID", "2"},
                                                {"SLURM_NNODES", "4"}}));
  EXPECT_EQ(info.launcher, Launcher::kSlurm);
  EXPECT_EQ(info.rank, 6);
  EXPECT_EQ(info.local_rank, 2);
  EXPECT_EQ(info.node_count, 4);
  EXPECT_EQ(info.local_world_size, 4);
}

TEST(ProcessInfo, MalformedVariablesAreNamed) {
  try {
    detect_process_info(env_of({{"OMPI_COMM_WORLD_RANK", "two"}, {"OMPI_COMM_WORLD_SIZE", "4"}}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "environment variable OMPI_COMM_WORLD_RANK='two' is not a non-negative integer");
  }
  EXPECT_THROW(detect_process_info(env_of({{"PMI_RANK", "4"}, {"PMI_SIZE", "4"}})), Error);
}

}  // namespace
}  // namespace rsdist::ddp
