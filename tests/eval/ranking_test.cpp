// rank_full and rank_sampled: hand-computed cases, deterministic ties, masking, agreement with a
// host sort of every item, chunking, and golden values from
// Mult-VAE's official metric code (tests/eval/make_ranking_golden.py wrote
// tests/data/eval/ranking_golden.json).
#include "eval/ranking.hpp"

#include <ATen/Context.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/zeros.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::eval {
namespace {

using Cutoffs = std::vector<std::int64_t>;
using Items = std::vector<std::int32_t>;
using Results = std::map<std::string, double>;

constexpr float kInf = std::numeric_limits<float>::infinity();

double d(int position) { return 1.0 / std::log2(position + 2.0); }  // the DCG discount

at::Tensor matrix(const std::vector<std::vector<float>>& rows) {
  std::vector<float> flat;
  for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
  const auto cols = rows.empty() ? 0 : static_cast<std::int64_t>(rows[0].size());
  return at::from_blob(flat.data(), {static_cast<std::int64_t>(rows.size()), cols}).clone();
}

// CSR of per-user item lists, owning its storage.
struct Csr {
  std::vector<std::int64_t> offsets{0};
  Items items;
  void add(const Items& user) {
    items.insert(items.end(), user.begin(), user.end());
    offsets.push_back(static_cast<std::int64_t>(items.size()));
  }
  UserItemMask view() const { return {offsets, items}; }
};

Csr csr(const std::vector<Items>& users) {
  Csr out;
  for (const auto& user : users) out.add(user);
  return out;
}

// Users [first, last) of `all`.
Csr users_of(const Csr& all, std::int64_t first, std::int64_t last) {
  Csr part;
  for (std::int64_t u = first; u < last; ++u) {
    part.add(Items(all.items.begin() + all.offsets[u], all.items.begin() + all.offsets[u + 1]));
  }
  return part;
}

void expect_results_eq(const Results& actual, const Results& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [name, value] : expected) EXPECT_EQ(actual.at(name), value) << name;
}

TEST(RankFull, HandComputedSeveralHeldOutItemsAndExactRankBeyondTheCut) {
  //              pad  1    2    3    4    5    6    7
  const auto scores = matrix({{9.0f, 0.1f, 0.8f, 0.3f, 0.7f, 0.2f, 0.6f, 0.5f},
                              {9.0f, 0.1f, 0.8f, 0.3f, 0.7f, 0.2f, 0.6f, 0.5f},
                              {9.0f, 0.1f, 0.8f, 0.3f, 0.7f, 0.2f, 0.6f, 0.5f}});
  // User 0 knows item 2: ranked 4, 6, 7, 3, 5, 1; held out 6 and 3 at positions 1 and 3.
  // User 1 knows nothing: ranked 2, 4, 6, 7, 3, 5, 1; held out 1, last, at rank 6.
  // User 2 has no held-out item: skipped.
  const Csr known = csr({{2}, {}, {4}});
  const Csr heldout = csr({{6, 3}, {1}, {}});
  RankingMetrics metrics(Cutoffs{1, 2, 4});
  EXPECT_EQ(rank_full(scores, known.view(), heldout.view(), metrics), 0);
  const auto r = metrics.result("");
  EXPECT_EQ(r.at("users"), 2.0);
  EXPECT_EQ(r.at("hr1"), 0.0);
  EXPECT_EQ(r.at("ndcg1"), 0.0);
  EXPECT_DOUBLE_EQ(r.at("hr2"), 1.0 / 2.0);
  EXPECT_DOUBLE_EQ(r.at("recall2"), (1.0 / 2.0) / 2.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg2"), (d(1) / (d(0) + d(1))) / 2.0);
  EXPECT_DOUBLE_EQ(r.at("recall4"), 1.0 / 2.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg4"), ((d(1) + d(3)) / (d(0) + d(1))) / 2.0);
  EXPECT_DOUBLE_EQ(r.at("mrr"), (1.0 / 2.0 + 1.0 / 7.0) / 2.0);
}

TEST(RankFull, HeldOutItemsTheMaskListsStayRankedAndAreCounted) {
  const auto scores =
      matrix({{0.0f, 0.1f, 0.2f, 0.9f, 0.4f, 0.5f}, {0.0f, 0.9f, 0.8f, 0.1f, 0.2f, 0.3f}});
  // User 0 lists held-out item 3 twice among its known items: one pair, ranked first anyway.
  // User 1's known items are both of its held-out items: two pairs.
  const Csr known = csr({{3, 5, 3}, {1, 2}});
  const Csr heldout = csr({{3}, {2, 1}});
  RankingMetrics metrics(Cutoffs{1, 2});
  EXPECT_EQ(rank_full(scores, known.view(), heldout.view(), metrics), 3);
  const auto r = metrics.result("");
  EXPECT_EQ(r.at("hr1"), 1.0);
  EXPECT_EQ(r.at("recall2"), 1.0);
  EXPECT_EQ(r.at("ndcg2"), 1.0);
  EXPECT_EQ(r.at("mrr"), 1.0);
}

TEST(RankFull, TiesGoToTheLowerItemIdInTheListsAndInTheRank) {
  RankingMetrics constant(Cutoffs{1, 2});
  // Every item ties: ranked 1, 2, 3, 4, 5 (item 0 is padding); held out 4 and 2.
  rank_full(matrix({{0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}}), csr({{}}).view(), csr({{4, 2}}).view(),
            constant);
  auto r = constant.result("");
  EXPECT_EQ(r.at("hr1"), 0.0);
  EXPECT_EQ(r.at("recall2"), 1.0 / 2.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg2"), d(1) / (d(0) + d(1)));
  EXPECT_EQ(r.at("mrr"), 1.0 / 2.0);

  // Five items tie for places 1..5 (item 2 is best): the cut at 3 keeps items 1 and 3 and
  // leaves 4, 5, 6 out; item 5's exact rank is 4.
  //                         pad   1     2     3     4     5     6     7
  const auto cut = matrix({{0.0f, 0.5f, 0.9f, 0.5f, 0.5f, 0.5f, 0.5f, 0.1f},
                           {0.0f, 0.5f, 0.9f, 0.5f, 0.5f, 0.5f, 0.5f, 0.1f}});
  RankingMetrics at_cut(Cutoffs{3});
  rank_full(cut, csr({{}, {}}).view(), csr({{3}, {5}}).view(), at_cut);
  r = at_cut.result("");
  EXPECT_EQ(r.at("hr3"), 1.0 / 2.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg3"), d(2) / 2.0);
  EXPECT_DOUBLE_EQ(r.at("mrr"), (1.0 / 3.0 + 1.0 / 5.0) / 2.0);
}

TEST(RankFull, ItemZeroIsPaddingOrAnItem) {
  const auto scores = matrix({{0.9f, 0.5f, 0.1f}});
  RankingMetrics padded(Cutoffs{1});
  rank_full(scores, csr({{}}).view(), csr({{1}}).view(), padded);
  EXPECT_EQ(padded.result("").at("hr1"), 1.0);  // item 0 is never ranked, so item 1 leads
  EXPECT_THROW(rank_full(scores, csr({{}}).view(), csr({{0}}).view(), padded), Error);

  RankingMetrics items_from_zero(Cutoffs{1});
  const FullRankingOptions no_padding{.item0_is_padding = false};
  rank_full(scores, csr({{}}).view(), csr({{1}}).view(), items_from_zero, no_padding);
  rank_full(scores, csr({{}}).view(), csr({{0}}).view(), items_from_zero, no_padding);
  const auto r = items_from_zero.result("");
  EXPECT_EQ(r.at("hr1"), 1.0 / 2.0);  // item 0 outranks item 1
  EXPECT_EQ(r.at("mrr"), (1.0 / 2.0 + 1.0) / 2.0);
}

TEST(RankFull, MinusInfinityCountsAsMaskedAndNaNThrows) {
  const auto scores = matrix({{0.0f, -kInf, 0.3f, 0.2f}, {0.0f, 0.4f, 0.3f, -kInf}});
  RankingMetrics metrics(Cutoffs{3});
  rank_full(scores, csr({{}, {}}).view(), csr({{1}, {2}}).view(), metrics);
  const auto r = metrics.result("");
  EXPECT_EQ(r.at("users"), 2.0);
  EXPECT_EQ(r.at("hr3"), 1.0 / 2.0);  // user 0's item scored -inf: never ranked
  EXPECT_EQ(r.at("mrr"), (0.0 + 1.0 / 2.0) / 2.0);

  const float nan = std::numeric_limits<float>::quiet_NaN();
  RankingMetrics untouched(Cutoffs{3});
  EXPECT_THROW(
      rank_full(matrix({{0.0f, 0.1f, nan, 0.2f}}), csr({{}}).view(), csr({{1}}).view(), untouched),
      Error);
  EXPECT_EQ(untouched.users(), 0);
}

TEST(RankFull, RejectsBadShapesAndItemLists) {
  const auto scores = matrix({{0.0f, 0.1f, 0.2f}});
  RankingMetrics m(Cutoffs{2});
  const Csr none = csr({{}});
  const Csr one = csr({{1}});
  EXPECT_THROW(rank_full(scores.view({-1}), none.view(), one.view(), m), Error);
  EXPECT_THROW(rank_full(scores.to(at::kLong), none.view(), one.view(), m), Error);
  EXPECT_THROW(rank_full(scores, csr({{}, {}}).view(), one.view(), m), Error);   // 2 users
  EXPECT_THROW(rank_full(scores, csr({{3}}).view(), one.view(), m), Error);      // known 3 of 3
  EXPECT_THROW(rank_full(scores, none.view(), csr({{3}}).view(), m), Error);     // held out 3
  EXPECT_THROW(rank_full(scores, none.view(), csr({{2, 2}}).view(), m), Error);  // twice
  const std::vector<std::int64_t> bad_offsets{0, 2};
  EXPECT_THROW(rank_full(scores, none.view(), {bad_offsets, Items{1}}, m), Error);
  EXPECT_EQ(m.users(), 0);
}

// Random integer scores (many ties), masks and held-out sets for `users` x `items`.
struct RandomCase {
  at::Tensor scores;
  Csr known, heldout;
};
RandomCase random_case(std::uint64_t seed, std::int64_t users, std::int64_t items,
                       std::int64_t max_heldout) {
  Rng rng(seed);
  std::vector<float> values(static_cast<std::size_t>(users * items));
  for (auto& v : values) v = static_cast<float>(rng.uniform_int(-6, 6));
  RandomCase c{at::from_blob(values.data(), {users, items}).clone(), {}, {}};
  for (std::int64_t u = 0; u < users; ++u) {
    Items known, heldout;
    for (std::int64_t e = rng.uniform_int(0, items / 3); e > 0; --e)
      known.push_back(static_cast<std::int32_t>(rng.uniform_int(0, items - 1)));
    for (std::int64_t e = rng.uniform_int(0, max_heldout); e > 0; --e) {
      const auto item = static_cast<std::int32_t>(rng.uniform_int(1, items - 1));
      if (std::find(heldout.begin(), heldout.end(), item) == heldout.end()) heldout.push_back(item);
    }
    if (!heldout.empty() && rng.uniform_int(0, 3) == 0) known.push_back(heldout[0]);
    c.known.add(known);
    c.heldout.add(heldout);
  }
  return c;
}

// The same metrics from a stable sort of each user's unmasked items on the host.
Results host_reference(const RandomCase& c, const Cutoffs& cutoffs) {
  RankingMetrics m(cutoffs);
  const std::int64_t items = c.scores.size(1);
  for (std::int64_t u = 0; u + 1 < static_cast<std::int64_t>(c.heldout.offsets.size()); ++u) {
    const Items held(c.heldout.items.begin() + c.heldout.offsets[u],
                     c.heldout.items.begin() + c.heldout.offsets[u + 1]);
    if (held.empty()) continue;
    std::vector<bool> masked(static_cast<std::size_t>(items), false);
    masked[0] = true;
    for (auto e = c.known.offsets[u]; e < c.known.offsets[u + 1]; ++e)
      masked[static_cast<std::size_t>(c.known.items[static_cast<std::size_t>(e)])] = true;
    for (const auto item : held) masked[static_cast<std::size_t>(item)] = false;
    std::vector<std::int64_t> order;
    for (std::int64_t i = 0; i < items; ++i)
      if (!masked[static_cast<std::size_t>(i)]) order.push_back(i);
    const float* row = c.scores.data_ptr<float>() + u * items;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::int64_t a, std::int64_t b) { return row[a] > row[b]; });
    std::vector<std::int64_t> hits;
    std::int64_t first = -1;
    for (std::size_t p = 0; p < order.size(); ++p) {
      if (std::find(held.begin(), held.end(), order[p]) == held.end()) continue;
      if (first < 0) first = static_cast<std::int64_t>(p);
      if (static_cast<std::int64_t>(p) < m.max_cutoff())
        hits.push_back(static_cast<std::int64_t>(p));
    }
    m.add_user(hits, static_cast<std::int64_t>(held.size()), first);
  }
  return m.result("");
}

TEST(RankFull, AgreesWithSortingEveryItemOnTheHost) {
  const Cutoffs cutoffs{1, 3, 5, 10};
  const RandomCase c = random_case(3, 40, 90, 8);
  RankingMetrics metrics(cutoffs);
  rank_full(c.scores, c.known.view(), c.heldout.view(), metrics);
  const Results expected = host_reference(c, cutoffs);
  expect_results_eq(metrics.result(""), expected);
  EXPECT_GT(expected.at("users"), 30.0);
  EXPECT_GT(expected.at("mrr"), 0.0);
}

TEST(RankFull, ChunksMergedEqualOnePass) {
  const Cutoffs cutoffs{2, 10};
  const RandomCase c = random_case(4, 30, 50, 5);
  RankingMetrics one_pass(cutoffs);
  const std::int64_t unmaskable = rank_full(c.scores, c.known.view(), c.heldout.view(), one_pass);
  // Two "ranks", users [0, 13) and [13, 30), each with its own accumulator.
  std::vector<double> summed(one_pass.packed_size(), 0.0);
  std::int64_t unmaskable_sum = 0;
  for (const auto& [first, last] : {std::pair<std::int64_t, std::int64_t>{0, 13}, {13, 30}}) {
    const Csr known = users_of(c.known, first, last), held = users_of(c.heldout, first, last);
    RankingMetrics part(cutoffs);
    unmaskable_sum += rank_full(c.scores.slice(0, first, last), known.view(), held.view(), part);
    const auto packed = part.pack();
    for (std::size_t i = 0; i < packed.size(); ++i) summed[i] += packed[i];
  }
  EXPECT_EQ(unmaskable_sum, unmaskable);
  EXPECT_GT(unmaskable, 0);
  const Results merged = RankingMetrics::unpack(cutoffs, summed).result("");
  for (const auto& [name, value] : one_pass.result("")) {
    EXPECT_NEAR(merged.at(name), value, 1e-15) << name;
  }
}

TEST(RankFull, CudaGivesTheCpuValues) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const Cutoffs cutoffs{1, 5, 20};
  const RandomCase c = random_case(6, 64, 3000, 12);
  RankingMetrics cpu(cutoffs), cuda(cutoffs);
  const auto on_cpu = rank_full(c.scores, c.known.view(), c.heldout.view(), cpu);
  const auto on_cuda = rank_full(c.scores.to(at::kCUDA), c.known.view(), c.heldout.view(), cuda);
  EXPECT_EQ(on_cpu, on_cuda);
  expect_results_eq(cuda.result(""), cpu.result(""));
  RankingMetrics sampled_cpu(cutoffs), sampled_cuda(cutoffs);
  rank_sampled(c.scores.slice(1, 0, 101), sampled_cpu);
  rank_sampled(c.scores.slice(1, 0, 101).to(at::kCUDA), sampled_cuda);
  expect_results_eq(sampled_cuda.result("sampled_"), sampled_cpu.result("sampled_"));
}

TEST(RankSampled, HandComputedWithTiesAgainstThePositive) {
  const auto scores = matrix({{0.5f, 0.1f, 0.5f, 0.7f, 0.2f},    // 0.5 and 0.7 >= 0.5: rank 2
                              {0.9f, 0.1f, 0.5f, 0.7f, 0.2f},    // best: rank 0
                              {1.0f, 1.0f, 1.0f, 1.0f, 1.0f}});  // constant: rank 4 (last)
  RankingMetrics metrics(Cutoffs{1, 3});
  rank_sampled(scores, metrics);
  const auto r = metrics.result("sampled_");
  EXPECT_EQ(r.at("sampled_users"), 3.0);
  EXPECT_DOUBLE_EQ(r.at("sampled_hr1"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.at("sampled_hr3"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.at("sampled_recall3"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.at("sampled_ndcg1"), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.at("sampled_ndcg3"), (d(2) + 1.0) / 3.0);
  EXPECT_DOUBLE_EQ(r.at("sampled_mrr"), (1.0 / 3.0 + 1.0 + 1.0 / 5.0) / 3.0);
}

// NCF's protocol: the held-out item (column 0) against 99 negatives, HR@10 and NDCG@10 by hand.
TEST(RankSampled, OnePlusNinetyNineByHand) {
  // User a: 3 negatives above the positive (rank 3, 0-based): hit, NDCG 1 / log2(5).
  // User b: 10 negatives above (rank 10): no hit at 10. User c: none above: NDCG 1.
  at::Tensor scores = at::zeros({3, 100}, at::kFloat);
  scores[0].fill_(0.1F);
  scores[0][0].fill_(0.5F);
  scores[0].slice(0, 1, 4).fill_(0.9F);
  scores[1].fill_(-1.0F);
  scores[1][0].fill_(0.0F);
  scores[1].slice(0, 50, 60).fill_(2.0F);
  scores[2].uniform_(-1, 0);
  scores[2][0].fill_(3.0F);
  RankingMetrics metrics(Cutoffs{10});
  rank_sampled(scores, metrics);
  const auto r = metrics.result("sampled_");
  EXPECT_DOUBLE_EQ(r.at("sampled_hr10"), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(r.at("sampled_ndcg10"), (1.0 / std::log2(5.0) + 1.0) / 3.0);
  EXPECT_DOUBLE_EQ(r.at("sampled_mrr"), (1.0 / 4.0 + 1.0 / 11.0 + 1.0) / 3.0);
}

TEST(RankSampled, RejectsBadShapesAndNaN) {
  RankingMetrics m(Cutoffs{1});
  EXPECT_THROW(rank_sampled(matrix({{0.5f}}), m), Error);  // no negatives
  EXPECT_THROW(rank_sampled(matrix({{0.5f, 0.1f}}).view({-1}), m), Error);
  EXPECT_THROW(rank_sampled(matrix({{0.5f, 0.1f}}).to(at::kInt), m), Error);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(rank_sampled(matrix({{0.5f, 0.1f}, {0.5f, nan}}), m), Error);
  EXPECT_EQ(m.users(), 0);
  rank_sampled(matrix({{0.5f, 0.1f}}).slice(0, 0, 0), m);  // no users: nothing to add
  EXPECT_EQ(m.users(), 0);
}

// Golden values from vae_cf's NDCG_binary_at_k_batch / Recall_at_k_batch (numpy).
TEST(RankingGolden, FullRankingMatchesMultVaesMetricCode) {
  std::ifstream in(std::string(RSDIST_SOURCE_DIR) + "/tests/data/eval/ranking_golden.json");
  ASSERT_TRUE(in) << "tests/data/eval/ranking_golden.json is missing";
  const auto golden = nlohmann::json::parse(in);
  const auto cutoffs = golden.at("cutoffs").get<Cutoffs>();
  const auto items = golden.at("items").get<std::int64_t>();
  std::vector<float> values;
  Csr known, heldout;
  for (const auto& user : golden.at("users")) {
    for (const int s : user.at("scores")) values.push_back(static_cast<float>(s));
    known.add(user.at("known").get<Items>());
    heldout.add(user.at("heldout").get<Items>());
  }
  const auto users = static_cast<std::int64_t>(golden.at("users").size());
  const at::Tensor scores = at::from_blob(values.data(), {users, items}).clone();

  // Chunks of 16 users, as a trainer feeds them; rating-matrix items start at 0.
  RankingMetrics metrics(cutoffs);
  for (std::int64_t first = 0; first < users; first += 16) {
    const std::int64_t last = std::min(users, first + 16);
    const Csr k = users_of(known, first, last), h = users_of(heldout, first, last);
    rank_full(scores.slice(0, first, last), k.view(), h.view(), metrics,
              {.item0_is_padding = false});
  }
  const Results r = metrics.result("");
  for (const auto& [name, value] : golden.at("expected").items()) {
    EXPECT_NEAR(r.at(name), value.get<double>(), 1e-12) << name;
  }
  EXPECT_EQ(r.size(), golden.at("expected").size());
}

}  // namespace
}  // namespace rsdist::eval
