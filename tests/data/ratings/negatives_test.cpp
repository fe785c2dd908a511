// Sampled candidates: never a positive of the user (in any part), distinct, uniform, fixed by seed.
#include "data/ratings/negatives.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data/ratings/matrix_builder.hpp"
#include "data/ratings/ratings_splits.hpp"
#include "support/error_of.hpp"

namespace rsdist::ratings {
namespace {
using rsdist::testing::error_of;
using testing::matrix_of;
using testing::Row;

std::vector<std::string> names(std::int32_t users) {
  std::vector<std::string> n;
  for (std::int32_t u = 0; u < users; ++u) n.push_back("u" + std::to_string(u));
  return n;
}

// User u rates items u..u+span-1 (mod items) at times 0..span-1.
std::map<std::string, UserItemMatrix> loo_parts(std::int32_t users, std::int32_t items,
                                                std::int32_t span) {
  std::vector<Row> rows;
  for (std::int32_t u = 0; u < users; ++u) {
    for (std::int32_t k = 0; k < span; ++k) rows.push_back({u, (u + k) % items, 1.0F, k});
  }
  return split_interactions(matrix_of(rows, users), {}).parts;
}

void expect_valid_candidates(const std::map<std::string, UserItemMatrix>& parts,
                             const std::vector<std::int32_t>& negatives, std::int64_t n,
                             std::int64_t items) {
  const std::int64_t users = parts.at("train").num_users();
  for (std::int64_t u = 0; u < users; ++u) {
    std::set<std::int32_t> positives;
    for (const auto& [name, part] : parts) {
      positives.insert(part.items_of(u).begin(), part.items_of(u).end());
    }
    const std::vector<std::int32_t> row(negatives.begin() + u * n, negatives.begin() + (u + 1) * n);
    const std::set<std::int32_t> distinct(row.begin(), row.end());
    EXPECT_EQ(static_cast<std::int64_t>(distinct.size()), n) << "user " << u;
    for (const std::int32_t item : row) {
      EXPECT_TRUE(item >= 0 && item < items) << item;
      EXPECT_FALSE(positives.contains(item)) << "user " << u << " item " << item;
    }
  }
}

TEST(Negatives, NeverAPositiveDistinctAndFixedBySeed) {
  // 30 items, 20 per user: 10 free. N = 4 uses rejection sampling, N = 8 the exhaustive path.
  for (const std::int64_t n : {4, 8, 10}) {
    const auto parts = loo_parts(12, 30, 20);
    const NegativeCandidates a = sample_negatives(parts, 30, n, 5, names(12));
    expect_valid_candidates(parts, a.valid, n, 30);
    expect_valid_candidates(parts, a.test, n, 30);
    const NegativeCandidates b = sample_negatives(parts, 30, n, 5, names(12));
    EXPECT_EQ(a.valid, b.valid);
    EXPECT_EQ(a.test, b.test);
    if (n < 10) {
      EXPECT_NE(sample_negatives(parts, 30, n, 6, names(12)).test, a.test) << n;
      EXPECT_NE(a.valid, a.test) << n;
    }
  }
}

TEST(Negatives, DrawsAreUniformOverTheFreeItems) {
  // One user with items 0..9 of 100: over many seeds each free item is drawn ~N/90 of the time.
  const auto parts = loo_parts(1, 100, 10);
  std::vector<int> hits(100);
  const int draws = 3000;
  for (int seed = 0; seed < draws; ++seed) {
    for (const std::int32_t item :
         sample_negatives(parts, 100, 9, static_cast<std::uint64_t>(seed), names(1)).test) {
      ++hits[static_cast<std::size_t>(item)];
    }
  }
  for (int item = 0; item < 10; ++item) EXPECT_EQ(hits[static_cast<std::size_t>(item)], 0);
  for (int item = 10; item < 100; ++item) {
    EXPECT_NEAR(hits[static_cast<std::size_t>(item)], draws * 9 / 90.0, 70) << item;  // ~7 sd
  }
}

TEST(Negatives, UsersWithoutAnEvaluationItemGetMinusOneRows) {
  const auto parts = split_interactions(matrix_of({{0, 0}, {0, 1}, {0, 2}, {1, 3}}, 2), {}).parts;
  const NegativeCandidates c = sample_negatives(parts, 6, 2, 1, names(2));
  EXPECT_EQ(std::vector<std::int32_t>(c.test.begin() + 2, c.test.end()),
            (std::vector<std::int32_t>{-1, -1}));
  EXPECT_EQ(std::vector<std::int32_t>(c.valid.begin() + 2, c.valid.end()),
            (std::vector<std::int32_t>{-1, -1}));
  EXPECT_GE(c.test[0], 3);
}

TEST(Negatives, TooFewFreeItemsNamesTheUserAndTheOption) {
  const auto parts = loo_parts(3, 30, 25);
  const std::string message = error_of([&] { sample_negatives(parts, 30, 6, 1, names(3)); });
  EXPECT_NE(message.find("user 'u0' interacted with 25 of the 30 items, leaving 5 to draw "
                         "--negatives 6"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace rsdist::ratings
