// RankingMetrics and parse_cutoffs: hand-computed values for every metric and cut-off, several
// held-out items per user, packing/merging.
#include "eval/ranking_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::eval {
namespace {

using Cutoffs = std::vector<std::int64_t>;
using Positions = std::vector<std::int64_t>;

double d(int position) { return 1.0 / std::log2(position + 2.0); }  // the DCG discount

// The message of the Error that `fn` throws ("" when it throws none).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ParseCutoffs, SortsAndDropsDuplicates) {
  EXPECT_EQ(parse_cutoffs("10,20,50,100", "--metrics_k"), (Cutoffs{10, 20, 50, 100}));
  EXPECT_EQ(parse_cutoffs(" 50, 10,10 ,20", "--metrics_k"), (Cutoffs{10, 20, 50}));
  EXPECT_EQ(parse_cutoffs("1", "--metrics_k"), (Cutoffs{1}));
}

TEST(ParseCutoffs, ErrorsNameTheOptionAndTheToken) {
  for (const std::string bad :
       {"abc", "0", "-5", "10x", "1e3", "+5", "2.5", "99999999999999999999"}) {
    const std::string message = error_of([&] { parse_cutoffs("10," + bad, "--metrics_k"); });
    EXPECT_NE(message.find("--metrics_k"), std::string::npos) << bad << ": " << message;
    EXPECT_NE(message.find("'" + bad + "'"), std::string::npos) << bad << ": " << message;
  }
  for (const std::string bad : {"", " ", "10,,20", "10,", ",10"}) {
    const std::string message = error_of([&] { parse_cutoffs(bad, "--sampled_k"); });
    EXPECT_NE(message.find("--sampled_k"), std::string::npos) << "'" << bad << "': " << message;
  }
}

TEST(RankingMetrics, ConstructorSortsAndRejectsEmptyOrZero) {
  const RankingMetrics m(Cutoffs{20, 10, 10});
  EXPECT_EQ(m.cutoffs(), (Cutoffs{10, 20}));
  EXPECT_EQ(m.max_cutoff(), 20);
  EXPECT_EQ(m.packed_size(), 2u + 3u * 2u);
  EXPECT_THROW(RankingMetrics(Cutoffs{}), Error);
  EXPECT_THROW(RankingMetrics(Cutoffs{0, 5}), Error);
  EXPECT_THROW(RankingMetrics(Cutoffs{-1}), Error);
}

TEST(RankingMetrics, HandComputedUsersWithSeveralHeldOutItems) {
  RankingMetrics m(Cutoffs{1, 3, 5});
  m.add_user(Positions{0, 4}, 3, 0);   // A: H = 3
  m.add_user(Positions{1, 2}, 5, -1);  // B: H = 5, rank taken from the first hit
  m.add_user(Positions{}, 2, 41);      // C: no hit in the top 5, exact rank 41
  m.add_user(Positions{}, 1, -1);      // D: nothing known
  const auto r = m.result("");
  const double ideal3 = d(0) + d(1) + d(2);
  const double ideal5 = ideal3 + d(3) + d(4);
  EXPECT_DOUBLE_EQ(r.at("users"), 4.0);
  // k = 1: only A's item at position 0.
  EXPECT_DOUBLE_EQ(r.at("hr1"), 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(r.at("recall1"), 1.0 / 4.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg1"), 1.0 / 4.0);
  // k = 3: A 1 hit of min(3, 3); B 2 hits of min(3, 5).
  EXPECT_DOUBLE_EQ(r.at("hr3"), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(r.at("recall3"), (1.0 / 3.0 + 2.0 / 3.0) / 4.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg3"), (d(0) / ideal3 + (d(1) + d(2)) / ideal3) / 4.0);
  // k = 5: A 2 hits of 3 (ideal over 3 places); B 2 hits of min(5, 5) (ideal over 5).
  EXPECT_DOUBLE_EQ(r.at("hr5"), 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(r.at("recall5"), (2.0 / 3.0 + 2.0 / 5.0) / 4.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg5"), ((d(0) + d(4)) / ideal3 + (d(1) + d(2)) / ideal5) / 4.0);
  EXPECT_DOUBLE_EQ(r.at("mrr"), (1.0 + 1.0 / 2.0 + 1.0 / 42.0 + 0.0) / 4.0);
}

TEST(RankingMetrics, RecallAndNdcgDivideByMinOfKAndHeldOut) {
  // Ten held-out items, the first five places all hits: a perfect top-5 scores 1 (vae_cf), and
  // the top 10 finds 7 of 10 with NDCG over an ideal of ten places.
  RankingMetrics m(Cutoffs{5, 10});
  m.add_user(Positions{0, 1, 2, 3, 4, 6, 9}, 10, 0);
  const auto r = m.result("");
  EXPECT_DOUBLE_EQ(r.at("recall5"), 1.0);
  EXPECT_DOUBLE_EQ(r.at("ndcg5"), 1.0);
  EXPECT_DOUBLE_EQ(r.at("recall10"), 7.0 / 10.0);
  double dcg = 0.0, ideal = 0.0;
  for (const int p : {0, 1, 2, 3, 4, 6, 9}) dcg += d(p);
  for (int p = 0; p < 10; ++p) ideal += d(p);
  EXPECT_DOUBLE_EQ(r.at("ndcg10"), dcg / ideal);
  EXPECT_DOUBLE_EQ(r.at("hr10"), 1.0);
}

TEST(RankingMetrics, RejectsInconsistentUsersAndAddsNothing) {
  RankingMetrics m(Cutoffs{5, 10});
  EXPECT_THROW(m.add_user(Positions{3, 1}, 2, 1), Error);     // not increasing
  EXPECT_THROW(m.add_user(Positions{2, 2}, 2, 2), Error);     // repeated
  EXPECT_THROW(m.add_user(Positions{10}, 1, 10), Error);      // beyond the largest cut-off
  EXPECT_THROW(m.add_user(Positions{-1}, 1, -1), Error);      // negative
  EXPECT_THROW(m.add_user(Positions{0, 1, 2}, 2, 0), Error);  // more hits than held-out items
  EXPECT_THROW(m.add_user(Positions{}, 0, -1), Error);        // no held-out item
  EXPECT_THROW(m.add_user(Positions{2}, 1, 1), Error);        // rank disagrees with the hit
  EXPECT_THROW(m.add_user(Positions{}, 1, 7), Error);         // rank inside the top 10, no hit
  EXPECT_THROW(m.add_user(Positions{}, 1, -2), Error);        // not a rank
  EXPECT_EQ(m.users(), 0);
  EXPECT_DOUBLE_EQ(m.result("").at("mrr"), 0.0);
}

TEST(RankingMetrics, ResultNamesCarryThePrefixAndAreZeroWithoutUsers) {
  const RankingMetrics m(Cutoffs{10, 5});
  const auto r = m.result("sampled_");
  std::vector<std::string> names;
  for (const auto& [name, value] : r) {
    names.push_back(name);
    EXPECT_EQ(value, 0.0) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"sampled_hr10", "sampled_hr5", "sampled_mrr",
                                             "sampled_ndcg10", "sampled_ndcg5", "sampled_recall10",
                                             "sampled_recall5", "sampled_users"}));
  EXPECT_EQ(RankingMetrics(Cutoffs{20}).result("").count("ndcg20"), 1u);
}

// Random users: up to 6 held-out items, hits anywhere in the top 20, ranks beyond it.
void add_random_users(RankingMetrics& m, Rng& rng, int users) {
  for (int u = 0; u < users; ++u) {
    const std::int64_t heldout = rng.uniform_int(1, 6);
    Positions hits;
    for (std::int64_t p = 0; p < 20 && static_cast<std::int64_t>(hits.size()) < heldout; ++p) {
      if (rng.uniform_int(0, 5) == 0) hits.push_back(p);
    }
    m.add_user(hits, heldout, hits.empty() ? 20 + rng.uniform_int(0, 500) : hits[0]);
  }
}

TEST(RankingMetrics, TwoHalvesMergedOrAllReducedEqualOnePass) {
  const Cutoffs cutoffs{1, 5, 10, 20};
  RankingMetrics one_pass(cutoffs), first(cutoffs), second(cutoffs);
  Rng rng_all(11), rng_halves(11);
  add_random_users(one_pass, rng_all, 70);
  add_random_users(first, rng_halves, 35);
  add_random_users(second, rng_halves, 35);

  // What ranks do: pack, all-reduce (an element-wise sum), unpack.
  std::vector<double> summed = first.pack();
  const std::vector<double> other = second.pack();
  for (std::size_t i = 0; i < summed.size(); ++i) summed[i] += other[i];
  const RankingMetrics reduced = RankingMetrics::unpack(cutoffs, summed);
  RankingMetrics merged = RankingMetrics::unpack(cutoffs, first.pack());
  merged.merge(second);

  const auto expected = one_pass.result("");
  EXPECT_EQ(expected.at("users"), 70.0);
  for (const auto& result : {reduced.result(""), merged.result("")}) {
    ASSERT_EQ(result.size(), expected.size());
    for (const auto& [name, value] : expected) EXPECT_NEAR(result.at(name), value, 1e-15) << name;
    EXPECT_EQ(result.at("hr5"), expected.at("hr5"));  // counts are exact
  }
  EXPECT_GT(expected.at("ndcg20"), 0.0);
}

TEST(RankingMetrics, UnpackRejectsWhatNoAccumulatorPacks) {
  const Cutoffs cutoffs{5, 10};
  RankingMetrics m(cutoffs);
  m.add_user(Positions{0, 3}, 2, 0);
  m.add_user(Positions{}, 1, 12);
  const std::vector<double> good = m.pack();
  ASSERT_EQ(good.size(), m.packed_size());
  EXPECT_EQ(RankingMetrics::unpack(cutoffs, good).pack(), good);
  EXPECT_THROW(RankingMetrics::unpack(Cutoffs{5}, good), Error);  // size for other cut-offs
  const auto broken = [&](std::size_t i, double value) {
    std::vector<double> p = good;
    p[i] = value;
    return p;
  };
  EXPECT_THROW(RankingMetrics::unpack(cutoffs, broken(0, 1.5)), Error);   // users
  EXPECT_THROW(RankingMetrics::unpack(cutoffs, broken(0, -2.0)), Error);  // users
  EXPECT_THROW(RankingMetrics::unpack(cutoffs, broken(2, 0.5)), Error);   // HR count
  EXPECT_THROW(RankingMetrics::unpack(cutoffs, broken(3, 2.5)), Error);   // a sum above users
  EXPECT_THROW(RankingMetrics::unpack(cutoffs, broken(4, std::nan(""))), Error);
  EXPECT_THROW(RankingMetrics::unpack(cutoffs, broken(1, -0.1)), Error);  // MRR sum
  RankingMetrics other(Cutoffs{5, 20});
  EXPECT_THROW(m.merge(other), Error);
}

}  // namespace
}  // namespace rsdist::eval
