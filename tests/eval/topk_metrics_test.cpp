#include "eval/topk_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace rsdist::eval {
namespace {

using Targets = std::vector<std::int32_t>;

// Lists of width `k` for the given rows; each row is padded with -1.
TopKLists lists_of(std::int64_t k, const std::vector<std::vector<std::int64_t>>& rows) {
  TopKLists lists;
  lists.num_users = static_cast<std::int64_t>(rows.size());
  lists.k = k;
  for (const auto& row : rows) {
    for (std::int64_t p = 0; p < k; ++p) {
      lists.items.push_back(p < static_cast<std::int64_t>(row.size()) ? row[p] : -1);
    }
  }
  return lists;
}

// A list of `length` items 100, 101, ... with `target` placed at `position` (if >= 0).
std::vector<std::int64_t> list_with(std::int32_t target, int position, int length = 20) {
  std::vector<std::int64_t> row(length);
  for (int p = 0; p < length; ++p) row[p] = 100 + p;
  if (position >= 0) row[position] = target;
  return row;
}

TEST(TopKMetrics, RecallAndNdcgOfOneTargetPerUser) {
  TopKMetrics m;
  m.add(lists_of(20, {list_with(7, 0), list_with(7, 3), list_with(7, 10), list_with(7, 19),
                      list_with(7, -1)}),
        Targets{7, 7, 7, 7, 7});
  const TopKResult r = m.result();
  EXPECT_EQ(r.users, 5);
  EXPECT_DOUBLE_EQ(r.recall10, 2.0 / 5.0);  // positions 0 and 3
  EXPECT_DOUBLE_EQ(r.recall20, 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(r.ndcg10, (1.0 + 1.0 / std::log2(5.0)) / 5.0);
  EXPECT_DOUBLE_EQ(
      r.ndcg20, (1.0 + 1.0 / std::log2(5.0) + 1.0 / std::log2(12.0) + 1.0 / std::log2(21.0)) / 5.0);
}

TEST(TopKMetrics, OnlyTheFirstTwentyCountAndShortListsEndAtMinusOne) {
  TopKMetrics m;
  m.add(lists_of(25, {list_with(9, 20, 25), {3, 9}, {3, -1, 9}}), Targets{9, 9, 9});
  const TopKResult r = m.result();
  EXPECT_DOUBLE_EQ(r.recall20, 1.0 / 3.0);  // only the short list {3, 9} hits
  EXPECT_DOUBLE_EQ(r.ndcg10, 1.0 / std::log2(3.0) / 3.0);
}

TEST(TopKMetrics, RejectsShortListsMismatchedTargetsAndThePaddingItem) {
  TopKMetrics m;
  EXPECT_THROW(m.add(lists_of(10, {{1, 2}}), Targets{1}), Error);
  EXPECT_THROW(m.add(lists_of(20, {{1, 2}}), Targets{1, 2}), Error);
  EXPECT_THROW(m.add(lists_of(20, {{1, 2}}), Targets{0}), Error);
  TopKLists broken = lists_of(20, {{1, 2}});
  broken.items.pop_back();
  EXPECT_THROW(m.add(broken, Targets{1}), Error);
  EXPECT_EQ(m.result().users, 0);
  EXPECT_DOUBLE_EQ(m.result().recall20, 0.0);
}

TEST(TopKMetrics, MergedEqualsOnePassAndPackRoundTrips) {
  const auto a = lists_of(20, {list_with(5, 0), list_with(5, 12)});
  const auto b = lists_of(20, {list_with(6, 4), list_with(6, -1), list_with(6, 9)});
  TopKMetrics one_pass;
  one_pass.add(a, Targets{5, 5});
  one_pass.add(b, Targets{6, 6, 6});
  TopKMetrics first;
  first.add(a, Targets{5, 5});
  TopKMetrics second;
  second.add(b, Targets{6, 6, 6});
  TopKMetrics merged = TopKMetrics::unpack(first.pack());
  merged.merge(TopKMetrics::unpack(second.pack()));
  const TopKResult x = merged.result();
  const TopKResult y = one_pass.result();
  EXPECT_EQ(x.users, 5);
  EXPECT_EQ(x.users, y.users);
  EXPECT_DOUBLE_EQ(x.recall10, y.recall10);
  EXPECT_DOUBLE_EQ(x.recall20, y.recall20);
  EXPECT_NEAR(x.ndcg10, y.ndcg10, 1e-15);
  EXPECT_NEAR(x.ndcg20, y.ndcg20, 1e-15);
  EXPECT_DOUBLE_EQ(y.recall10, 3.0 / 5.0);
  EXPECT_THROW(TopKMetrics::unpack(std::vector<double>{1.0}), Error);
  EXPECT_THROW(TopKMetrics::unpack(std::vector<double>{0.5, 1.0, 0.0, 0.0, 2.0}), Error);
}

}  // namespace
}  // namespace rsdist::eval
