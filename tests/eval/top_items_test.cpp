// top_items (eval/ranking.hpp) on the selection of eval/topk_selection.hpp: masking, the padding
// item, -inf instead of GCL4SR's 0, deterministic ties at the cut, agreement with a host sort;
// and rank_full's treatment of a target that the mask lists.
#include <ATen/ops/from_blob.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/zeros.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "eval/ranking.hpp"

namespace rsdist::eval {
namespace {

using Items = std::vector<std::int64_t>;
using Mask = std::vector<std::int32_t>;

// Item embeddings [N, 2] with row i = (score_i, 0), and users (1, 0): user scores = `scores`.
at::Tensor items_scoring(const std::vector<float>& scores) {
  at::Tensor items = at::zeros({static_cast<std::int64_t>(scores.size()), 2});
  for (std::size_t i = 0; i < scores.size(); ++i)
    items[static_cast<std::int64_t>(i)][0] = scores[i];
  return items;
}
at::Tensor unit_users(std::int64_t users) {
  at::Tensor u = at::zeros({users, 2});
  u.select(1, 0).fill_(1.0);
  return u;
}

// The k best items of users [B, D] against items [N, D], as every family asks for them: dot
// products scored on the device, then top_items.
TopKLists full_ranking_topk(const at::Tensor& users, const at::Tensor& items,
                            const UserItemMask& mask, std::int64_t k) {
  return top_items(at::matmul(users, items.t()), mask, k);
}

Items row_of(const TopKLists& lists, std::int64_t user) {
  const auto r = lists.row(user);
  return Items(r.begin(), r.end());
}

TEST(FullRanking, MaskingRemovesTheItemThatWouldRankFirst) {
  //                 pad   1     2     3     4     5
  const auto items = items_scoring({0.0f, 0.2f, 0.9f, 0.5f, 0.7f, 0.1f});
  const std::vector<std::int64_t> offsets{0, 0, 1};
  const Mask masked{2};  // user 1 trained on item 2
  const TopKLists lists = full_ranking_topk(unit_users(2), items, {offsets, masked}, 3);
  EXPECT_EQ(lists.num_users, 2);
  EXPECT_EQ(lists.k, 3);
  EXPECT_EQ(row_of(lists, 0), (Items{2, 4, 3}));
  EXPECT_EQ(row_of(lists, 1), (Items{4, 3, 1}));
}

TEST(FullRanking, NeverRecommendsThePaddingItem) {
  const auto items = items_scoring({100.0f, 0.2f, 0.9f});
  const std::vector<std::int64_t> offsets{0, 0};
  const TopKLists lists = full_ranking_topk(unit_users(1), items, {offsets, Mask{}}, 2);
  EXPECT_EQ(row_of(lists, 0), (Items{2, 1}));
}

TEST(FullRanking, MaskedScoresAreMinusInfinityNotZero) {
  // GCL4SR sets masked scores to 0, which would put masked item 1 above item 2's negative score.
  const auto items = items_scoring({0.0f, 0.5f, -0.3f, -0.1f});
  const std::vector<std::int64_t> offsets{0, 1};
  const TopKLists lists = full_ranking_topk(unit_users(1), items, {offsets, Mask{1}}, 3);
  EXPECT_EQ(row_of(lists, 0), (Items{3, 2, -1}));  // two items left: the list ends early
}

TEST(FullRanking, TiesGoToTheLowerItemIdAlsoAtTheCut) {
  //                       pad  1     2     3     4     5     6     7
  const auto items = items_scoring({0.0f, 0.5f, 0.5f, 0.9f, 0.5f, 0.5f, 0.5f, 0.1f});
  const std::vector<std::int64_t> offsets{0, 0, 1};
  const Mask masked{2};
  const TopKLists lists = full_ranking_topk(unit_users(2), items, {offsets, masked}, 3);
  EXPECT_EQ(row_of(lists, 0), (Items{3, 1, 2}));  // five items tie for places 2..6
  EXPECT_EQ(row_of(lists, 1), (Items{3, 1, 4}));
  // Whole list: every tied item, ascending ids.
  const TopKLists all =
      full_ranking_topk(unit_users(1), items, {std::vector<std::int64_t>{0, 0}, Mask{}}, 10);
  EXPECT_EQ(row_of(all, 0), (Items{3, 1, 2, 4, 5, 6, 7, -1, -1, -1}));
}

TEST(FullRanking, AgreesWithSortingEveryItemOnTheHost) {
  // Small integer embeddings: exact dot products with many ties.
  constexpr std::int64_t kUsers = 12, kItems = 150, kDim = 3, kTop = 20;
  Rng rng(7);
  std::vector<float> user_values(kUsers * kDim), item_values(kItems * kDim);
  for (auto& v : user_values) v = static_cast<float>(rng.uniform_int(-2, 2));
  for (auto& v : item_values) v = static_cast<float>(rng.uniform_int(-2, 2));
  const at::Tensor users = at::from_blob(user_values.data(), {kUsers, kDim}).clone();
  const at::Tensor items = at::from_blob(item_values.data(), {kItems, kDim}).clone();
  std::vector<std::int64_t> offsets{0};
  Mask masked;
  for (std::int64_t u = 0; u < kUsers; ++u) {
    for (std::int64_t e = 0; e < u * 3; ++e) {
      masked.push_back(static_cast<std::int32_t>(rng.uniform_int(0, kItems - 1)));
    }
    offsets.push_back(static_cast<std::int64_t>(masked.size()));
  }
  const TopKLists lists = full_ranking_topk(users, items, {offsets, masked}, kTop);

  for (std::int64_t u = 0; u < kUsers; ++u) {
    std::vector<float> score(kItems, 0.0f);
    for (std::int64_t i = 0; i < kItems; ++i) {
      for (std::int64_t d = 0; d < kDim; ++d) {
        score[i] += user_values[u * kDim + d] * item_values[i * kDim + d];
      }
    }
    std::vector<bool> excluded(kItems, false);
    excluded[0] = true;
    for (auto e = offsets[u]; e < offsets[u + 1]; ++e) excluded[masked[e]] = true;
    Items candidates;
    for (std::int64_t i = 0; i < kItems; ++i) {
      if (!excluded[i]) candidates.push_back(i);
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](std::int64_t a, std::int64_t b) { return score[a] > score[b]; });
    candidates.resize(kTop);
    EXPECT_EQ(row_of(lists, u), candidates) << "user " << u;
  }
}

TEST(FullRanking, EvaluateNeverMasksTheUsersOwnTarget) {
  //                                 pad   1     2     3     4  ... 24
  std::vector<float> scores(25, 0.0f);
  for (int i = 1; i < 25; ++i) scores[i] = static_cast<float>(i);  // item 24 best, 1 worst
  const auto items = items_scoring(scores);
  // User 0: target 24 also among its training items (a repeated last item); user 1: target 23
  // with the better item 24 masked; user 2: target 1, the worst of 23 items left.
  const std::vector<std::int64_t> offsets{0, 2, 3, 4};
  const Mask masked{5, 24, 24, 2};
  const std::vector<std::int64_t> one_each{0, 1, 2, 3};
  const Mask targets{24, 23, 1};
  RankingMetrics metrics(std::vector<std::int64_t>{10, 20});
  const std::int64_t in_mask = rank_full(at::matmul(unit_users(3), items.t()), {offsets, masked},
                                         {one_each, targets}, metrics);
  EXPECT_EQ(in_mask, 1);
  const auto r = metrics.result("");
  EXPECT_EQ(r.at("users"), 3);
  EXPECT_DOUBLE_EQ(r.at("recall10"), 2.0 / 3.0);  // users 0 and 1 at position 0; user 2 misses
  EXPECT_DOUBLE_EQ(r.at("recall20"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg10"), 2.0 / 3.0);
}

TEST(FullRanking, RejectsBadShapesMasksTargetsAndNaN) {
  const auto items = items_scoring({0.0f, 0.2f, 0.9f});
  const std::vector<std::int64_t> one_user{0, 0};
  const auto scores = at::matmul(unit_users(1), items.t());
  EXPECT_THROW(top_items(scores.view({-1}), {one_user, Mask{}}, 2), Error);
  EXPECT_THROW(top_items(scores.to(at::kLong), {one_user, Mask{}}, 2), Error);
  EXPECT_THROW(full_ranking_topk(unit_users(2), items, {one_user, Mask{}}, 2), Error);
  EXPECT_THROW(
      full_ranking_topk(unit_users(1), items, {std::vector<std::int64_t>{0, 1}, Mask{3}}, 2),
      Error);
  EXPECT_THROW(full_ranking_topk(unit_users(1), items, {one_user, Mask{}}, 0), Error);
  RankingMetrics metrics(std::vector<std::int64_t>{20});
  const std::vector<std::int64_t> one_target{0, 1};
  EXPECT_THROW(rank_full(scores, {one_user, Mask{}}, {one_target, Mask{0}}, metrics), Error);
  EXPECT_THROW(rank_full(scores, {one_user, Mask{}}, {one_target, Mask{3}}, metrics), Error);
  // One item's score is NaN: it reaches the top of the list (topk orders NaN first) and throws.
  const auto nan_items =
      items_scoring({0.0f, 0.2f, 0.9f, std::numeric_limits<float>::quiet_NaN(), 0.4f});
  EXPECT_THROW(full_ranking_topk(unit_users(1), nan_items, {one_user, Mask{}}, 2), Error);
  EXPECT_EQ(metrics.users(), 0);
}

TEST(FullRanking, EmptyBatchGivesNoLists) {
  const auto items = items_scoring({0.0f, 0.2f});
  const TopKLists lists =
      full_ranking_topk(unit_users(0), items, {std::vector<std::int64_t>{0}, Mask{}}, 20);
  EXPECT_EQ(lists.num_users, 0);
  EXPECT_TRUE(lists.items.empty());
}

}  // namespace
}  // namespace rsdist::eval
