// Duplicates, the implicit threshold, k-core filtering to a fixed point and dense renumbering.
#include "data/ratings/ratings_filters.hpp"

#include <gtest/gtest.h>

#include "data/ratings/matrix_builder.hpp"

namespace rsdist::ratings {
namespace {
using testing::items_of;
using testing::matrix_of;
using testing::Row;

TEST(RatingsFilters, GroupingKeepsEachUsersRowsInInputOrder) {
  const UserItemMatrix m = matrix_of({{1, 5}, {0, 3}, {1, 2}, {0, 9}}, 2);
  EXPECT_EQ(m.offsets, (std::vector<std::int64_t>{0, 2, 4}));
  EXPECT_EQ(items_of(m, 0), (std::vector<std::int32_t>{3, 9}));
  EXPECT_EQ(items_of(m, 1), (std::vector<std::int32_t>{5, 2}));
}

TEST(RatingsFilters, DuplicatesKeepTheLastByTimeAndTiesTheLaterRow) {
  UserItemMatrix m = matrix_of({{0, 7, 5.0F, 30},  // kept: latest time though not the last row
                                {0, 7, 2.0F, 10},
                                {0, 4, 1.0F, 50},
                                {0, 4, 3.0F, 50},  // same time: the later row wins
                                {1, 7, 4.0F, 1}},
                               2);
  EXPECT_EQ(drop_duplicates(m), 2);
  EXPECT_EQ(items_of(m, 0), (std::vector<std::int32_t>{7, 4}));  // input order kept
  EXPECT_EQ(std::vector<float>(m.ratings.begin(), m.ratings.end()),
            (std::vector<float>{5.0F, 3.0F, 4.0F}));
  EXPECT_EQ(m.offsets, (std::vector<std::int64_t>{0, 2, 3}));
  EXPECT_EQ(drop_duplicates(m), 0);
}

TEST(RatingsFilters, ImplicitThresholdKeepsRatingsAtLeastItAsOnes) {
  UserItemMatrix m = matrix_of({{0, 1, 4.0F}, {0, 2, 3.5F}, {1, 3, 5.0F}, {1, 4, 3.9F}}, 2);
  EXPECT_EQ(apply_implicit_threshold(m, 4.0F), 2);
  EXPECT_EQ(m.items, (std::vector<std::int32_t>{1, 3}));
  EXPECT_EQ(m.ratings, (std::vector<float>{1.0F, 1.0F}));
  EXPECT_EQ(m.offsets, (std::vector<std::int64_t>{0, 1, 2}));
}

TEST(RatingsFilters, KCoreIteratesUntilNothingChanges) {
  // min 2 per user and per item. Pass 1 removes item 3 (one rating), which leaves user 2 with one
  // interaction; pass 2 removes user 2, which leaves item 2 with one; pass 3 removes item 2, which
  // leaves user 1 with one; pass 4 removes user 1; pass 5 removes nothing. Users 0 and 3 and
  // items 0 and 1 remain: a 2x2 block.
  UserItemMatrix m = matrix_of({{0, 0}, {0, 1}, {3, 0}, {3, 1}, {1, 1}, {1, 2}, {2, 2}, {2, 3}}, 4);
  const KCoreResult r = k_core(m, 4, 2, 2);
  EXPECT_EQ(r.passes, 5);
  EXPECT_EQ(r.removed_interactions, 4);
  EXPECT_EQ(items_of(m, 0), (std::vector<std::int32_t>{0, 1}));
  EXPECT_TRUE(items_of(m, 1).empty());
  EXPECT_TRUE(items_of(m, 2).empty());
  EXPECT_EQ(items_of(m, 3), (std::vector<std::int32_t>{0, 1}));
  EXPECT_EQ(k_core(m, 4, 2, 2).removed_interactions, 0);  // a fixed point
  EXPECT_EQ(k_core(m, 4, 0, 1).passes, 0);                // off
}

TEST(RatingsFilters, CompactIdsRenumbersSurvivorsInFirstAppearanceOrder) {
  UserItemMatrix m = matrix_of({{0, 2}, {2, 0}, {2, 3}}, 3);
  std::vector<std::string> users = {"a", "b", "c"};
  std::vector<std::string> items = {"w", "x", "y", "z"};
  compact_ids(m, users, items);
  EXPECT_EQ(users, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(items, (std::vector<std::string>{"w", "y", "z"}));
  EXPECT_EQ(m.offsets, (std::vector<std::int64_t>{0, 1, 3}));
  EXPECT_EQ(m.items, (std::vector<std::int32_t>{1, 0, 2}));
}

}  // namespace
}  // namespace rsdist::ratings
