// The pointwise training instances of a ratings corpus and their batcher: explicit instances are
// the ratings; implicit ones each positive then its negatives, never a training item of the user,
// fresh per epoch, a pure function of (seed, epoch, instance); batches equal instance by instance
// for any thread count and for a resumed epoch; a user who rated every item is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "core/error.hpp"
#include "loader/ratings/interaction_batcher.hpp"
#include "loader/ratings/training_interactions.hpp"
#include "support/error_of.hpp"

namespace rsdist::loader {
namespace {

// User u rates items from a small table; user 2 has none.
ratings::UserItemMatrix toy_train() {
  ratings::UserItemMatrix m;
  const std::vector<std::vector<std::pair<std::int32_t, float>>> rows = {
      {{3, 5.0F}, {0, 1.0F}, {7, 4.0F}}, {{1, 2.0F}}, {}, {{2, 3.0F}, {5, 4.5F}}};
  for (const auto& row : rows) {
    for (const auto& [item, rating] : row) {
      m.items.push_back(item);
      m.ratings.push_back(rating);
      m.timestamps.push_back(0);
    }
    m.end_row();
  }
  return m;
}

TEST(TrainingInteractions, ExplicitInstancesAreTheRatings) {
  const ratings::UserItemMatrix train = toy_train();
  const TrainingInteractions instances(train, 8, /*negatives=*/0, 1);
  ASSERT_EQ(instances.size(), 6);
  const std::vector<std::int32_t> users = {0, 0, 0, 1, 3, 3};
  for (std::int64_t k = 0; k < 6; ++k) {
    const TrainingInstance x = instances.instance(3, k);
    EXPECT_EQ(x.user, users[static_cast<std::size_t>(k)]);
    EXPECT_EQ(x.item, train.items[static_cast<std::size_t>(k)]);
    EXPECT_EQ(x.target, train.ratings[static_cast<std::size_t>(k)]);
  }
  EXPECT_THROW(instances.instance(0, 6), Error);
}

TEST(TrainingInteractions, NegativesAreFreshPerEpochAndNeverATrainingItem) {
  const ratings::UserItemMatrix train = toy_train();
  const TrainingInteractions instances(train, 8, /*negatives=*/4, 7);
  ASSERT_EQ(instances.size(), 6 * 5);
  std::int64_t differ = 0;
  std::set<std::int32_t> drawn;
  for (std::int64_t k = 0; k < instances.size(); ++k) {
    const TrainingInstance x = instances.instance(0, k);
    const auto p = static_cast<std::size_t>(k / 5);
    if (k % 5 == 0) {
      EXPECT_EQ(x.item, train.items[p]);
      EXPECT_EQ(x.target, 1.0F);
    } else {
      EXPECT_EQ(x.target, 0.0F);
      const auto items = train.items_of(x.user);
      EXPECT_EQ(std::find(items.begin(), items.end(), x.item), items.end())
          << "negative " << x.item << " is a training item of user " << x.user;
      if (x.user == 0) drawn.insert(x.item);
    }
    // The same instance again is the same; the next epoch draws anew.
    EXPECT_EQ(instances.instance(0, k).item, x.item);
    differ += instances.instance(1, k).item != x.item ? 1 : 0;
    EXPECT_EQ(instances.instance(0, k).user, x.user);
  }
  EXPECT_GT(differ, 5);
  // User 0's 12 negatives cover most of its 5 non-training items.
  EXPECT_GE(drawn.size(), 4U);
  // Another seed, other negatives.
  const TrainingInteractions other(train, 8, 4, 8);
  std::int64_t same = 0;
  for (std::int64_t k = 1; k < instances.size(); k += 5) {
    same += other.instance(0, k).item == instances.instance(0, k).item ? 1 : 0;
  }
  EXPECT_LT(same, 6);
}

TEST(TrainingInteractions, RefusesAUserWhoRatedEveryItem) {
  const ratings::UserItemMatrix train = toy_train();
  // One user with every one of 3 items (item 1 twice).
  ratings::UserItemMatrix full;
  for (const std::int32_t item : {1, 0, 2, 1}) {
    full.items.push_back(item);
    full.ratings.push_back(1.0F);
    full.timestamps.push_back(0);
  }
  full.end_row();
  const std::string message =
      rsdist::testing::error_of([&] { TrainingInteractions(full, 3, 4, 1); });
  EXPECT_NE(message.find("user 0 has a training interaction with every one of the 3 items"),
            std::string::npos)
      << message;
  // Without negatives nothing needs drawing; with a fourth item there is one to draw.
  EXPECT_EQ(TrainingInteractions(full, 3, 0, 1).size(), 4);
  EXPECT_EQ(TrainingInteractions(full, 4, 1, 1).instance(0, 1).item, 3);
  EXPECT_EQ(TrainingInteractions(train, 8, 0, 1).size(), 6);
}

std::vector<TrainingInstance> collect(const TrainingInteractions& instances,
                                      std::vector<std::int64_t> order, std::int32_t threads,
                                      std::int64_t batch_size, std::int64_t epoch) {
  InteractionBatcherOptions options;
  options.batch_size = batch_size;
  options.epoch = epoch;
  options.threads = threads;
  InteractionBatcher batcher(instances, std::move(order), options);
  std::vector<TrainingInstance> out;
  while (auto batch = batcher.next()) {
    EXPECT_LE(batch->size(), batch_size);
    for (std::int64_t i = 0; i < batch->size(); ++i) {
      out.push_back({static_cast<std::int32_t>(batch->users[i].item<std::int64_t>()),
                     static_cast<std::int32_t>(batch->items[i].item<std::int64_t>()),
                     batch->targets[i].item<float>()});
    }
  }
  EXPECT_EQ(batcher.statistics().samples, static_cast<std::int64_t>(out.size()));
  return out;
}

bool same(const std::vector<TrainingInstance>& a, const std::vector<TrainingInstance>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.user == y.user && x.item == y.item && x.target == y.target;
  });
}

TEST(InteractionBatcher, BatchesAreTheInstancesInOrderForAnyThreadsAndAResumedEpoch) {
  const ratings::UserItemMatrix train = toy_train();
  const TrainingInteractions instances(train, 8, 4, 3);
  std::vector<std::int64_t> order(static_cast<std::size_t>(instances.size()));
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  const auto inline_built = collect(instances, order, 0, 4, 2);
  ASSERT_EQ(inline_built.size(), order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const TrainingInstance x = instances.instance(2, order[i]);
    EXPECT_EQ(inline_built[i].item, x.item);
    EXPECT_EQ(inline_built[i].user, x.user);
  }
  EXPECT_TRUE(same(collect(instances, order, 3, 4, 2), inline_built));
  // A resumed epoch: the order without its first 2 batches gives the uninterrupted tail.
  const std::vector<std::int64_t> tail(order.begin() + 8, order.end());
  const auto resumed = collect(instances, tail, 2, 4, 2);
  EXPECT_TRUE(same(resumed, {inline_built.begin() + 8, inline_built.end()}));
}

}  // namespace
}  // namespace rsdist::loader
