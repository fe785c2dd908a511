// train::evaluate_ranking, the sharded driver of the shared ranking evaluator: chunks go to ranks
// c % world, both protocols come back under their names in one all-reduce, and the metrics do not
// depend on the number of ranks or the chunk size.
#include "train/ranking_evaluation.hpp"

#include <ATen/ops/from_blob.h>
#include <gtest/gtest.h>

#include <mutex>

#include "core/rng.hpp"
#include "ddp/thread_ranks.hpp"

namespace rsdist::train {
namespace {

constexpr std::int64_t kUsers = 37, kItems = 50, kNegatives = 9;

// Seeded scores of user u: full [N] and sampled [1 + M]; user u knows items u % 5 + 1 .. and holds
// out two items.
at::Tensor scores_of(std::uint64_t stream, const std::vector<std::int64_t>& users,
                     std::int64_t width) {
  std::vector<float> values;
  for (const std::int64_t u : users) {
    Rng rng = Rng::stream(3, {stream, static_cast<std::uint64_t>(u)});
    for (std::int64_t i = 0; i < width; ++i) values.push_back(static_cast<float>(rng.uniform01()));
  }
  return at::from_blob(values.data(), {static_cast<std::int64_t>(users.size()), width}).clone();
}

RankingSource source() {
  RankingSource s;
  s.users = kUsers;
  s.full_scores = [](const RankingChunk& c) { return scores_of(1, c.users, kItems); };
  s.sampled_scores = [](const RankingChunk& c) { return scores_of(2, c.users, 1 + kNegatives); };
  s.known_items = [](const RankingChunk& c) {
    UserItems known;
    for (const std::int64_t u : c.users) {
      for (std::int32_t i = 1; i <= static_cast<std::int32_t>(u % 5); ++i) known.items.push_back(i);
      known.offsets.push_back(static_cast<std::int64_t>(known.items.size()));
    }
    return known;
  };
  s.heldout_items = [](const RankingChunk& c) {
    UserItems heldout;
    for (const std::int64_t u : c.users) {
      heldout.items.push_back(static_cast<std::int32_t>(10 + u % 30));
      heldout.items.push_back(static_cast<std::int32_t>(45 - u % 3));
      heldout.offsets.push_back(static_cast<std::int64_t>(heldout.items.size()));
    }
    return heldout;
  };
  return s;
}

Metrics evaluate_on(int world, std::int64_t chunk_users) {
  RankingSettings settings;
  settings.cutoffs = {5, 20};
  settings.chunk_users = chunk_users;
  Metrics rank0;
  std::mutex mutex;
  rsdist::testing::run_ranks(world, [&](int rank, ddp::Communicator& comm) {
    const Metrics m =
        evaluate_ranking(source(), settings, comm, {rank, world, std::nullopt}, at::kCPU);
    const std::lock_guard<std::mutex> lock(mutex);
    if (rank == 0) rank0 = m;
  });
  return rank0;
}

TEST(RankingEvaluation, BothProtocolsUnderTheirNames) {
  const Metrics m = evaluate_on(1, 8);
  for (const char* name :
       {"hr5", "recall5", "ndcg5", "hr20", "recall20", "ndcg20", "mrr", "users",
        "unmaskable_targets", "sampled_hr5", "sampled_ndcg20", "sampled_mrr", "sampled_users"}) {
    EXPECT_TRUE(m.count(name)) << name;
  }
  EXPECT_EQ(m.at("users"), static_cast<double>(kUsers));
  EXPECT_EQ(m.at("sampled_users"), static_cast<double>(kUsers));
  EXPECT_EQ(m.at("unmaskable_targets"), 0.0);
  // Two held-out items: Recall@5 divides by min(5, 2) = 2, so it never exceeds HR@5.
  EXPECT_LE(m.at("recall5"), m.at("hr5"));
  // The sampled protocol ranks against 9 negatives only: every user is within the top 20.
  EXPECT_EQ(m.at("sampled_hr20"), 1.0);
}

TEST(RankingEvaluation, RanksAndChunkSizesGiveTheSameMetrics) {
  const Metrics one = evaluate_on(1, 37);
  for (const auto& [world, chunk] :
       std::vector<std::pair<int, std::int64_t>>{{1, 4}, {3, 5}, {4, 1}}) {
    const Metrics other = evaluate_on(world, chunk);
    ASSERT_EQ(other.size(), one.size());
    for (const auto& [name, value] : one) {
      EXPECT_NEAR(other.at(name), value, 1e-12) << name << " on " << world << " ranks";
    }
  }
}

TEST(RankingEvaluation, RecommendsTheBestUnknownItems) {
  RankingSettings settings;
  const auto recs = recommend_ranking(
      source(), {3, 0}, 4, settings, [](std::int64_t u) { return "u" + std::to_string(u); },
      [](std::int64_t i) { return "i" + std::to_string(i); });
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].user, "u3");
  const at::Tensor scores = scores_of(1, {3}, kItems);
  ASSERT_EQ(recs[0].items.size(), 4u);
  for (std::size_t j = 0; j < 4; ++j) {
    const int item = std::stoi(recs[0].items[j].substr(1));
    EXPECT_GT(item, 3);  // items 1..3 are known, 0 is padding
    EXPECT_FLOAT_EQ(recs[0].scores[j], scores[0][item].item<float>());
    if (j > 0) {
      EXPECT_LE(recs[0].scores[j], recs[0].scores[j - 1]);
    }
  }
}

}  // namespace
}  // namespace rsdist::train
