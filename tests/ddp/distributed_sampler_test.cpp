#include "ddp/distributed_sampler.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

std::vector<std::vector<std::int64_t>> all_ranks(std::vector<std::int64_t> shards, int world,
                                                 SamplerOptions options, std::int64_t epoch) {
  std::vector<std::vector<std::int64_t>> out;
  for (int r = 0; r < world; ++r) out.push_back(DistributedSampler(shards, r, world, options).epoch_indices(epoch));
  return out;
}

TEST(DistributedSampler, PadGivesEveryRankTheSameCountAndCoversEverySample) {
  for (auto order : {SampleOrder::kGlobal, SampleOrder::kShardLocal}) {
    SamplerOptions o;
    o.seed = 3;
    o.order = order;
    const auto ranks = all_ranks({4, 3, 3}, 3, o, 0);  // 10 samples over 3 ranks: 4 each
    std::map<std::int64_t, int> seen;
    for (const auto& r : ranks) {
      EXPECT_EQ(r.size(), 4u);
      for (auto i : r) ++seen[i];
    }
    EXPECT_EQ(seen.size(), 10u);
    int extra = 0;
    for (auto [i, c] : seen) extra += c - 1;
    EXPECT_EQ(extra, 2);  // 12 slots, 10 samples: two wrapped around
  }
}

TEST(DistributedSampler, DropGivesDisjointEqualParts) {
  SamplerOptions o;
  o.tail = TailPolicy::kDrop;
  const auto ranks = all_ranks({10}, 3, o, 1);
  std::set<std::int64_t> seen;
  for (const auto& r : ranks) {
    EXPECT_EQ(r.size(), 3u);
    seen.insert(r.begin(), r.end());
  }
  EXPECT_EQ(seen.size(), 9u);
  EXPECT_THROW(DistributedSampler({2}, 0, 3, o), Error);
}

TEST(DistributedSampler, BatchCountIsTheSameOnEveryRank) {
  SamplerOptions o;
  for (int world : {1, 2, 3, 4, 7}) {
    std::set<std::int64_t> counts;
    for (int r = 0; r < world; ++r) counts.insert(DistributedSampler({101}, r, world, o).num_batches(8, false));
    EXPECT_EQ(counts.size(), 1u) << world;
  }
  EXPECT_EQ(DistributedSampler({101}, 0, 2, o).num_batches(8, false), 7);  // 51 samples
  EXPECT_EQ(DistributedSampler({101}, 0, 2, o).num_batches(8, true), 6);
}

TEST(DistributedSampler, DeterministicPerSeedAndEpochAndDifferentAcrossEpochs) {
  SamplerOptions o;
  o.seed = 5;
  DistributedSampler a({50}, 1, 2, o), b({50}, 1, 2, o);
  EXPECT_EQ(a.epoch_indices(2), b.epoch_indices(2));
  EXPECT_NE(a.epoch_indices(2), a.epoch_indices(3));
  o.seed = 6;
  EXPECT_NE(DistributedSampler({50}, 1, 2, o).epoch_indices(2), a.epoch_indices(2));
}

TEST(DistributedSampler, GlobalOrderGivesTheSameGlobalBatchesForAnyWorldSize) {
  SamplerOptions o;
  o.seed = 9;
  const std::int64_t global_batch = 12;
  const auto one = DistributedSampler({48}, 0, 1, o).epoch_indices(4);
  for (int world : {2, 3, 4}) {
    const auto ranks = all_ranks({48}, world, o, 4);
    const std::int64_t local = global_batch / world;
    for (std::int64_t step = 0; step < 48 / global_batch; ++step) {
      std::multiset<std::int64_t> expected(one.begin() + step * global_batch,
                                           one.begin() + (step + 1) * global_batch);
      std::multiset<std::int64_t> got;
      for (const auto& r : ranks) got.insert(r.begin() + step * local, r.begin() + (step + 1) * local);
      EXPECT_EQ(got, expected) << "world " << world << " step " << step;
    }
  }
}

TEST(DistributedSampler, ShardLocalOrderReadsMostlyOwnShards) {
  SamplerOptions o;
  o.order = SampleOrder::kShardLocal;
  o.seed = 1;
  const std::vector<std::int64_t> shards(8, 100);  // 8 shards, 4 ranks
  for (int r = 0; r < 4; ++r) {
    DistributedSampler sampler(shards, r, 4, o);
    std::set<int> touched;
    for (auto i : sampler.epoch_indices(0)) touched.insert(sampler.shard_of(i));
    EXPECT_EQ(touched.size(), 2u) << "rank " << r;  // 200 samples = exactly two whole shards
  }
}

TEST(DistributedSampler, ShardOfAndArgumentChecks) {
  DistributedSampler s({3, 0, 2}, 0, 1, {});
  EXPECT_EQ(s.shard_of(0), 0);
  EXPECT_EQ(s.shard_of(2), 0);
  EXPECT_EQ(s.shard_of(3), 2);
  EXPECT_THROW(s.shard_of(5), Error);
  EXPECT_THROW(DistributedSampler({3}, 2, 2, {}), Error);
}

}  // namespace
}  // namespace rsdist::ddp
