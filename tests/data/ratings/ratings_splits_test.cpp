// The invariants of each split: loo by time with input-order ties, ratio proportions, heldout_users
// disjoint users and fold-in/held-out shares; every split reproducible from its seed.
#include "data/ratings/ratings_splits.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/rng.hpp"
#include "data/ratings/matrix_builder.hpp"
#include "support/error_of.hpp"

namespace rsdist::ratings {
namespace {
using rsdist::testing::error_of;
using testing::items_of;
using testing::matrix_of;
using testing::Row;

// `users` users with 1..max_len interactions on distinct items, at random times.
UserItemMatrix random_matrix(std::int32_t users, std::int32_t max_len, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<Row> rows;
  for (std::int32_t u = 0; u < users; ++u) {
    const auto n = static_cast<std::int32_t>(rng.uniform_int(1, max_len));
    for (std::int32_t k = 0; k < n; ++k) {
      rows.push_back({u, k * 3 + u % 3, 1.0F + static_cast<float>(k % 5), rng.uniform_int(0, 50)});
    }
  }
  return matrix_of(rows, users);
}

std::multiset<std::int32_t> union_of(const Splits& s, std::int64_t u) {
  std::multiset<std::int32_t> all;
  for (const auto& [name, part] : s.parts) {
    for (const std::int32_t item : part.items_of(u)) all.insert(item);
  }
  return all;
}

TEST(RatingsSplits, LooTakesTheLatestByTimeWithInputOrderBreakingTies) {
  // User 0: items 1..5 at times 5, 1, 9, 9, 3: by time 1(t1), 4(t3)... 2 and 3 tie at 9, so the
  // later row (item 3) is the latest: test 3, valid 2, train by time 1, 4, 0... as items below.
  const UserItemMatrix all = matrix_of({{0, 0, 1, 5},
                                        {0, 1, 1, 1},
                                        {0, 2, 1, 9},
                                        {0, 3, 1, 9},
                                        {0, 4, 1, 3},
                                        {1, 6, 1, 2},
                                        {1, 7, 1, 1},   // two interactions: test + train
                                        {2, 8, 1, 0}},  // one: train only
                                       3);
  const Splits s = split_interactions(all, {});
  EXPECT_EQ(items_of(s.parts.at("test"), 0), (std::vector<std::int32_t>{3}));
  EXPECT_EQ(items_of(s.parts.at("valid"), 0), (std::vector<std::int32_t>{2}));
  EXPECT_EQ(items_of(s.parts.at("train"), 0), (std::vector<std::int32_t>{1, 4, 0}));  // by time
  EXPECT_EQ(items_of(s.parts.at("test"), 1), (std::vector<std::int32_t>{6}));
  EXPECT_TRUE(items_of(s.parts.at("valid"), 1).empty());
  EXPECT_EQ(items_of(s.parts.at("train"), 1), (std::vector<std::int32_t>{7}));
  EXPECT_EQ(items_of(s.parts.at("train"), 2), (std::vector<std::int32_t>{8}));
  EXPECT_TRUE(items_of(s.parts.at("test"), 2).empty());
  EXPECT_EQ(s.counts.users_without_valid, 2);
  EXPECT_EQ(s.counts.users_without_test, 1);
}

TEST(RatingsSplits, LooHoldsOutNothingLaterThanTest) {
  const UserItemMatrix all = random_matrix(60, 12, 3);
  const Splits s = split_interactions(all, {});
  for (std::int64_t u = 0; u < all.num_users(); ++u) {
    EXPECT_EQ(union_of(s, u),
              std::multiset<std::int32_t>(all.items_of(u).begin(), all.items_of(u).end()));
    const auto& test = s.parts.at("test");
    if (test.size_of(u) == 0) continue;
    EXPECT_GE(s.parts.at("train").size_of(u), 1) << u;
    for (const auto t : s.parts.at("train").timestamps_of(u))
      EXPECT_LE(t, test.timestamps_of(u)[0]);
    for (const auto t : s.parts.at("valid").timestamps_of(u))
      EXPECT_LE(t, test.timestamps_of(u)[0]);
  }
}

TEST(RatingsSplits, RatioFollowsTheSharesPerUserAndIsSeeded) {
  const UserItemMatrix all = random_matrix(200, 40, 7);
  SplitOptions o;
  o.method = SplitMethod::kRatio;
  o.seed = 11;
  const Splits a = split_interactions(all, o);
  for (std::int64_t u = 0; u < all.num_users(); ++u) {
    const auto n = static_cast<double>(all.size_of(u));
    EXPECT_EQ(union_of(a, u),
              std::multiset<std::int32_t>(all.items_of(u).begin(), all.items_of(u).end()));
    EXPECT_GE(a.parts.at("train").size_of(u), 1) << u;
    if (n >= 3) {
      EXPECT_EQ(a.parts.at("valid").size_of(u), std::llround(n * 0.1)) << u;
      EXPECT_EQ(a.parts.at("test").size_of(u), std::llround(n * 0.1)) << u;
    }
  }
  const double train = static_cast<double>(a.parts.at("train").num_interactions()) /
                       static_cast<double>(all.num_interactions());
  EXPECT_NEAR(train, 0.8, 0.03);
  EXPECT_EQ(split_interactions(all, o).parts, a.parts);
  o.seed = 12;
  EXPECT_NE(split_interactions(all, o).parts.at("test"), a.parts.at("test"));
}

TEST(RatingsSplits, HeldoutUsersAreDisjointAndSplitEightyTwenty) {
  const UserItemMatrix all = random_matrix(100, 30, 5);
  SplitOptions o;
  o.method = SplitMethod::kHeldoutUsers;
  o.heldout_users = 10;
  const Splits s = split_interactions(all, o);
  std::int64_t valid_users = 0, test_users = 0;
  for (std::int64_t u = 0; u < all.num_users(); ++u) {
    const auto n = all.size_of(u);
    const bool train = s.parts.at("train").size_of(u) > 0;
    const auto vf = s.parts.at("valid_foldin").size_of(u),
               vh = s.parts.at("valid_heldout").size_of(u);
    const auto tf = s.parts.at("test_foldin").size_of(u),
               th = s.parts.at("test_heldout").size_of(u);
    EXPECT_EQ(int(train) + int(vf + vh > 0) + int(tf + th > 0), 1)
        << "user " << u << " in two roles";
    EXPECT_EQ(union_of(s, u),
              std::multiset<std::int32_t>(all.items_of(u).begin(), all.items_of(u).end()));
    if (vf + vh > 0) ++valid_users;
    if (tf + th > 0) ++test_users;
    const auto heldout = vh + th;
    EXPECT_EQ(heldout, n >= kMinHeldoutSplitSize && !train ? n / 5 : 0) << u;
  }
  EXPECT_EQ(valid_users, 10);
  EXPECT_EQ(test_users, 10);
  EXPECT_EQ(split_interactions(all, o).parts, s.parts);
  o.heldout_users = 50;
  EXPECT_NE(error_of([&] { split_interactions(all, o); }).find("--heldout_users 50"),
            std::string::npos);
}

TEST(RatingsSplits, RatioTextIsCheckedAndNamesTheOption) {
  EXPECT_EQ(parse_split_ratio("0.7,0.2,0.1"), (std::array<double, 3>{0.7, 0.2, 0.1}));
  for (const char* bad : {"0.8,0.1", "0.8,0.1,0.2", "0.8,0.1,x", "0,0.5,0.5", "0.8,0.3,-0.1", ""}) {
    EXPECT_NE(error_of([&] { parse_split_ratio(bad); }).find("--ratio"), std::string::npos) << bad;
  }
  EXPECT_NE(error_of([] { parse_split_method("random"); }).find("--split 'random'"),
            std::string::npos);
}

}  // namespace
}  // namespace rsdist::ratings
