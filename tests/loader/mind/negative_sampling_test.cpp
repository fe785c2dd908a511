// Negative sampling: the click first, wrap-around when an impression has at most K non-clicks,
// K distinct uniform draws otherwise, the train-news fallback for impressions without non-clicks,
// and draws that depend on (seed, epoch, sample) only.
#include "loader/mind/negative_sampling.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/error.hpp"

namespace rsdist::loader {
namespace {

std::vector<std::int64_t> draw(const NegativeSampler& sampler, std::int64_t epoch,
                               std::int64_t sample, std::int32_t positive,
                               const std::vector<std::int32_t>& negatives) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(sampler.negative_sample_num()) + 1);
  sampler.candidates(epoch, sample, positive, negatives, out);
  return out;
}

TEST(NegativeSampling, WrapsAroundWhenThereAreAtMostKNegatives) {
  const NegativeSampler sampler(4, 1, {});
  EXPECT_EQ(draw(sampler, 0, 0, 9, {5, 6}), (std::vector<std::int64_t>{9, 5, 6, 5, 6}));
  EXPECT_EQ(draw(sampler, 3, 17, 9, {5, 6, 7}), (std::vector<std::int64_t>{9, 5, 6, 7, 5}));
  EXPECT_EQ(draw(sampler, 0, 0, 9, {8}), (std::vector<std::int64_t>{9, 8, 8, 8, 8}));
  EXPECT_EQ(draw(sampler, 1, 2, 9, {1, 2, 3, 4}), (std::vector<std::int64_t>{9, 1, 2, 3, 4}));
}

TEST(NegativeSampling, DrawsKDistinctNegativesUniformlyWhenThereAreMore) {
  const NegativeSampler sampler(4, 7, {});
  const std::vector<std::int32_t> negatives = {10, 11, 12, 13, 14, 15};
  std::map<std::int64_t, int> picked;
  std::set<std::vector<std::int64_t>> orders;
  const int trials = 3000;
  for (int s = 0; s < trials; ++s) {
    const auto c = draw(sampler, 0, s, 3, negatives);
    ASSERT_EQ(c[0], 3);
    const std::set<std::int64_t> distinct(c.begin() + 1, c.end());
    ASSERT_EQ(distinct.size(), 4u);
    for (std::int64_t n : distinct) {
      ASSERT_TRUE(std::find(negatives.begin(), negatives.end(), n) != negatives.end());
      ++picked[n];
    }
    orders.insert({c.begin() + 1, c.end()});
  }
  // Each of the 6 negatives is in a draw with probability 4/6: 2000 of 3000 expected, sd ~26.
  ASSERT_EQ(picked.size(), 6u);
  for (const auto& [news, count] : picked) {
    EXPECT_NEAR(count, trials * 4 / 6, 150) << news;
  }
  // Ordered draws: 6 * 5 * 4 * 3 = 360 sequences, nearly all seen.
  EXPECT_GT(orders.size(), 340u);
}

TEST(NegativeSampling, ThePositiveIsNeverANegative) {
  // The impression's non-clicks exclude the click; the fallback pool may contain it.
  const NegativeSampler sampler(3, 1, {4, 5, 6, 7, 8});
  for (int s = 0; s < 500; ++s) {
    const auto c = draw(sampler, 1, s, 6, {});
    ASSERT_EQ(c[0], 6);
    const std::set<std::int64_t> negatives(c.begin() + 1, c.end());
    ASSERT_EQ(negatives.size(), 3u) << s;
    ASSERT_EQ(negatives.count(6), 0u) << s;
  }
}

TEST(NegativeSampling, WithoutNonClicksDrawsFromTheTrainNews) {
  std::vector<std::int32_t> pool;
  for (std::int32_t n = 1; n <= 50; ++n) pool.push_back(n);
  const NegativeSampler sampler(4, 2, pool);
  std::set<std::int64_t> seen;
  for (int s = 0; s < 200; ++s) {
    const auto c = draw(sampler, 0, s, 7, {});
    EXPECT_EQ(c[0], 7);
    const std::set<std::int64_t> negatives(c.begin() + 1, c.end());
    EXPECT_EQ(negatives.size(), 4u);
    for (std::int64_t n : negatives) {
      EXPECT_TRUE(n >= 1 && n <= 50 && n != 7) << n;
      seen.insert(n);
    }
  }
  EXPECT_EQ(seen.size(), 49u);  // every train news but the click
  // A pool of at most K usable news wraps around, like an impression's short list.
  const NegativeSampler small(4, 2, {3, 7, 9});
  EXPECT_EQ(draw(small, 0, 0, 7, {}), (std::vector<std::int64_t>{7, 3, 9, 3, 9}));
  // Nothing to draw from at all.
  const NegativeSampler empty(4, 2, {7});
  EXPECT_THROW(draw(empty, 0, 0, 7, {}), Error);
}

TEST(NegativeSampling, DrawsDependOnSeedEpochAndSampleOnly) {
  const std::vector<std::int32_t> negatives = {20, 21, 22, 23, 24, 25, 26, 27, 28, 29};
  const NegativeSampler a(4, 11, {1, 2, 3});
  const NegativeSampler b(4, 11, {1, 2, 3});
  const NegativeSampler other_seed(4, 12, {1, 2, 3});
  int differ_by_epoch = 0, differ_by_seed = 0, differ_by_sample = 0;
  for (int s = 0; s < 100; ++s) {
    const auto x = draw(a, 3, s, 1, negatives);
    // Reproducible, whatever was drawn before or by another sampler object.
    EXPECT_EQ(x, draw(b, 3, s, 1, negatives));
    EXPECT_EQ(x, draw(a, 3, s, 1, negatives));
    differ_by_epoch += x != draw(a, 4, s, 1, negatives);
    differ_by_seed += x != draw(other_seed, 3, s, 1, negatives);
    differ_by_sample += x != draw(a, 3, s + 1000, 1, negatives);
  }
  // 5040 ordered draws: two equal by chance has probability ~2e-4.
  EXPECT_GE(differ_by_epoch, 98);
  EXPECT_GE(differ_by_seed, 98);
  EXPECT_GE(differ_by_sample, 98);
}

TEST(NegativeSampling, RejectsBadArguments) {
  EXPECT_THROW(NegativeSampler(0, 1, {}), Error);
  const NegativeSampler sampler(2, 1, {});
  std::vector<std::int64_t> too_small(2);
  const std::vector<std::int32_t> negatives = {1, 2, 3};
  EXPECT_THROW(sampler.candidates(0, 0, 5, negatives, too_small), Error);
}

}  // namespace
}  // namespace rsdist::loader
