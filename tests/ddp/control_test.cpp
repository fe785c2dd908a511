#include "ddp/control.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <gtest/gtest.h>

#include "ddp/collectives.hpp"
#include "ddp/thread_ranks.hpp"

namespace rsdist::ddp {
namespace {
using rsdist::testing::run_ranks;

TEST(Control, EveryRankObeysRankZerosDecision) {
  run_ranks(3, [](int rank, Communicator& comm) {
    EpochDecision mine;
    mine.stop = rank == 0;  // other ranks would carry on on their own
    mine.improved = rank != 0;
    mine.best_metric = 0.1 * (rank + 1);
    mine.best_epoch = rank;
    const auto d = broadcast_decision(comm, mine, at::kCPU);
    EXPECT_TRUE(d.stop);
    EXPECT_FALSE(d.improved);
    EXPECT_DOUBLE_EQ(d.best_metric, 0.1);
    EXPECT_EQ(d.best_epoch, 0);
  });
}

TEST(Control, AnyRankRequestReachesEveryRank) {
  run_ranks(4, [](int rank, Communicator& comm) {
    EXPECT_TRUE(any_rank(comm, rank == 2, at::kCPU));
    EXPECT_FALSE(any_rank(comm, false, at::kCPU));
  });
}

TEST(Collectives, HostSumsAreAddedUpOverRanks) {
  run_ranks(3, [](int rank, Communicator& comm) {
    const std::vector<double> local = {1.0, 0.25 * rank, rank == 1 ? 7.0 : 0.0};
    EXPECT_EQ(all_reduce_sum(comm, local, at::kCPU), (std::vector<double>{3.0, 0.75, 7.0}));
  });
}

TEST(Collectives, ShardedResultsAreGatheredInRankOrder) {
  run_ranks(3, [](int rank, Communicator& comm) {
    // Rank r holds r + 1 values r*10, r*10+1, ...: uneven shards of a validation set.
    const auto local = at::arange(rank + 1, at::kFloat) + rank * 10;
    const auto all = all_gather_concat(comm, local);
    ASSERT_EQ(all.size(0), 6);
    const std::vector<float> expected = {0, 10, 11, 20, 21, 22};
    for (int i = 0; i < 6; ++i)
      EXPECT_FLOAT_EQ(all[i].item<float>(), expected[static_cast<std::size_t>(i)]);
  });
}

TEST(Collectives, EmptyShardsAreFine) {
  run_ranks(2, [](int rank, Communicator& comm) {
    const auto local = rank == 0 ? at::arange(0, at::kLong) : at::arange(3, at::kLong);
    EXPECT_EQ(all_gather_concat(comm, local).size(0), 3);
  });
}

}  // namespace
}  // namespace rsdist::ddp
