// Every rank's state in a checkpoint (Note [Per-rank state in a checkpoint]): loss sums gathered
// from thread ranks come back to their own rank; generator states survive a round trip; another
// world size is seeded afresh and said so. The bit-for-bit resume of real jobs is checked under
// mpirun by each family's test (tests/support/mpirun_resume.hpp).
#include "train/rank_states.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/scalar_tensor.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <sstream>

#include "ddp/thread_ranks.hpp"

namespace rsdist::train {
namespace {

StepLoss step_of(double loss, double part) {
  StepLoss s;
  s.loss = at::scalar_tensor(loss, at::kFloat);
  s.parts = {{"main", at::scalar_tensor(part, at::kFloat)}};
  return s;
}

TEST(EpochLossSums, SumsTheLossAndItsPartsAndAveragesOverBatches) {
  EpochLossSums sums;
  EXPECT_EQ(sums.means(at::kCPU).item<double>(), 0.0);  // no batch yet
  const at::Tensor first = sums.add(step_of(1.5, 0.5));
  EXPECT_EQ(first[0].item<double>(), 1.5);
  sums.add(step_of(2.5, 1.5));
  EXPECT_EQ(sums.parts, std::vector<std::string>{"main"});
  EXPECT_EQ(sums.batches, 2);
  const at::Tensor means = sums.means(at::kCPU);
  EXPECT_EQ(means[0].item<double>(), 2.0);
  EXPECT_EQ(means[1].item<double>(), 1.0);
}

// Rank r's two batches; 0.1 is not exact in binary, so the hex-float round trip must keep bits.
EpochLossSums sums_of_rank(int rank) {
  EpochLossSums sums;
  for (int b = 0; b < 2; ++b) sums.add(step_of(0.1 * (rank + 1) + b, 0.3 + rank));
  return sums;
}

TEST(EpochLossSums, EachRankGetsItsOwnSumsBackOnTheSameWorldSizeOnly) {
  CheckpointState state;
  state.int_metadata["world_size"] = 3;
  std::mutex mutex;
  rsdist::testing::run_ranks(3, [&](int rank, ddp::Communicator& comm) {
    CheckpointState mine;
    save_epoch_loss_sums(comm, sums_of_rank(rank), mine);
    if (rank != 0) return;  // rank 0 writes the checkpoint
    std::lock_guard<std::mutex> lock(mutex);
    state.string_metadata = mine.string_metadata;
    state.int_metadata.insert(mine.int_metadata.begin(), mine.int_metadata.end());
  });
  for (int rank = 0; rank < 3; ++rank) {
    const EpochLossSums back = restore_epoch_loss_sums(state, rank, 3, at::kCPU);
    EXPECT_EQ(back.parts, std::vector<std::string>{"main"});
    EXPECT_EQ(back.batches, 2);
    ASSERT_TRUE(back.values.defined());
    EXPECT_TRUE(back.values.equal(sums_of_rank(rank).values)) << rank;
  }
  EXPECT_FALSE(restore_epoch_loss_sums(state, 0, 2, at::kCPU).values.defined());  // world 2
  EXPECT_FALSE(restore_epoch_loss_sums(CheckpointState{}, 0, 1, at::kCPU).values.defined());
}

struct CapturedLog {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
};

TEST(RngStates, ARankGetsItsGeneratorBackAndAnotherWorldSizeIsSeededAfreshWithAWarning) {
  std::map<std::string, std::string> states;
  rsdist::testing::run_ranks(1, [&](int, ddp::Communicator& comm) {
    states = gather_rng_states(comm, at::kCPU);
  });
  ASSERT_EQ(states.count("rank-0/cpu"), 1U);
  EXPECT_EQ(states.at("cpu"), states.at("rank-0/cpu"));
  const at::Tensor expected = at::rand({8});
  CheckpointState state;
  state.rng_states = states;
  state.int_metadata["world_size"] = 1;
  state.global_step = 12;
  CapturedLog log;
  restore_rng_states(state, 7, 0, 1, at::kCPU, *log.logger);
  EXPECT_TRUE(at::rand({8}).equal(expected));
  EXPECT_EQ(log.text.str(), "");

  // Saved by 1 rank, resumed on 2: seeded from (seed, rank, step), the same each time.
  restore_rng_states(state, 7, 0, 2, at::kCPU, *log.logger);
  const at::Tensor fresh = at::rand({8});
  restore_rng_states(state, 7, 0, 2, at::kCPU, *log.logger);
  EXPECT_TRUE(at::rand({8}).equal(fresh));
  EXPECT_FALSE(fresh.equal(expected));
  EXPECT_NE(log.text.str().find("holds the generator states of 1 rank(s) and this job has 2"),
            std::string::npos)
      << log.text.str();
}

}  // namespace
}  // namespace rsdist::train
