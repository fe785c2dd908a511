// The sharded item table against the replicated one on 1, 2 and 3 ranks (threads as ranks): the
// same loss, the same gradients (the replicated table's after the reducer's average), the same
// parameters after an Adam step, and the same best items and ranks over every shard.
#include "ddp/item_sharding.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "ddp/item_sharding_checks.hpp"
#include "ddp/thread_ranks.hpp"

namespace rsdist::ddp {
namespace {
using rsdist::testing::run_ranks;
using sharding_checks::kItems;
using sharding_checks::logical_table;

class ShardedTable : public ::testing::TestWithParam<int> {};

TEST_P(ShardedTable, LossGradientsAndAdamStepMatchTheReplicatedTable) {
  run_ranks(GetParam(), sharding_checks::loss_gradients_and_adam_step_match_the_replicated_table);
}

TEST_P(ShardedTable, RowsOfTheLogicalTableWhateverTheOwner) {
  run_ranks(GetParam(), sharding_checks::rows_of_the_logical_table_whatever_the_owner);
}

TEST_P(ShardedTable, MergedTopKIsTheFullRankingsTopK) {
  run_ranks(GetParam(), sharding_checks::merged_top_k_is_the_full_rankings_top_k);
}

TEST_P(ShardedTable, ItemsAheadOfATargetCountEveryShard) {
  run_ranks(GetParam(), sharding_checks::items_ahead_of_a_target_count_every_shard);
}

INSTANTIATE_TEST_SUITE_P(Ranks, ShardedTable, ::testing::Values(1, 2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "_ranks"; });

TEST(ItemSharding, CyclicRowsCoverEveryItemOnce) {
  for (int world : {1, 2, 3, 4, 7}) {
    std::int64_t total = 0;
    for (int r = 0; r < world; ++r) {
      const ItemSharding s{kItems, r, world};
      total += s.local_rows();
      const at::Tensor ids = s.item_ids(at::kCPU);
      ASSERT_EQ(ids.size(0), s.local_rows());
      for (std::int64_t j = 0; j < ids.size(0); ++j) {
        EXPECT_EQ(s.owner(ids[j].item<std::int64_t>()), r);
        EXPECT_EQ(s.local_index(ids[j].item<std::int64_t>()), j);
      }
    }
    EXPECT_EQ(total, kItems) << world << " ranks";
  }
}

TEST(ItemSharding, IdsOutsideTheCatalogAreRefusedNamingTheRange) {
  run_ranks(1, [](int, Communicator& comm) {
    const ItemSharding sharding = item_sharding(comm, kItems);
    try {
      sharded_rows(comm, sharding, sharding.shard_of(logical_table()), at::tensor({3, 23}, at::kLong));
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("[0, 23)"), std::string::npos) << e.what();
    }
  });
}

}  // namespace
}  // namespace rsdist::ddp
