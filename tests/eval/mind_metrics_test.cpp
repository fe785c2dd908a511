#include "eval/mind_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"

namespace rsdist::eval {
namespace {

using Scores = std::vector<float>;
using Labels = std::vector<std::int32_t>;

double discount(int position) { return 1.0 / std::log2(position + 2.0); }

TEST(MindRanks, SortsByScoreDescendingInCandidateOrder) {
  EXPECT_EQ(mind_ranks(Scores{0.8f, 0.6f, 0.9f}), (std::vector<std::int32_t>{2, 3, 1}));
  EXPECT_TRUE(mind_ranks(Scores{}).empty());
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(mind_ranks(Scores{-inf, 3.0f, inf, -2.0f}), (std::vector<std::int32_t>{4, 2, 1, 3}));
}

TEST(MindRanks, EqualScoresKeepCandidateOrderAsPythonsStableSort) {
  EXPECT_EQ(mind_ranks(Scores{0.5f, 0.7f, 0.5f, 0.7f}), (std::vector<std::int32_t>{3, 1, 4, 2}));
  EXPECT_EQ(mind_ranks(Scores{2.0f, 2.0f, 2.0f, 2.0f, 2.0f}),
            (std::vector<std::int32_t>{1, 2, 3, 4, 5}));
  // Python compares -0.0 == 0.0, so they are a tie too.
  EXPECT_EQ(mind_ranks(Scores{-0.0f, 0.0f, -1.0f}), (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(mind_ranks(Scores{0.0f, -0.0f, -1.0f}), (std::vector<std::int32_t>{1, 2, 3}));
}

TEST(MindRanks, NaNScoreThrows) {
  EXPECT_THROW(mind_ranks(Scores{0.1f, std::numeric_limits<float>::quiet_NaN()}), Error);
}

TEST(ScoreImpression, OneClickRankedSecond) {
  // Ranking: candidate 1 (0.9), candidate 2 (0.5, clicked), candidate 0 (0.1).
  const auto s = score_impression(Scores{0.1f, 0.9f, 0.5f}, Labels{0, 0, 1});
  ASSERT_TRUE(s.scored);
  EXPECT_DOUBLE_EQ(s.auc, 0.5);  // above one of two non-clicks
  EXPECT_DOUBLE_EQ(s.mrr, 0.5);
  EXPECT_DOUBLE_EQ(s.ndcg5, discount(1));  // ideal DCG is 1
  EXPECT_DOUBLE_EQ(s.ndcg10, discount(1));
}

TEST(ScoreImpression, SeveralClicksAndKLargerThanTheList) {
  // Clicks at positions 0, 2, 4 of five candidates.
  const auto s = score_impression(Scores{0.9f, 0.8f, 0.7f, 0.6f, 0.5f}, Labels{1, 0, 1, 0, 1});
  ASSERT_TRUE(s.scored);
  EXPECT_DOUBLE_EQ(s.auc, 3.0 / 6.0);  // pairs won: 2 + 1 + 0 of 3 x 2
  EXPECT_DOUBLE_EQ(s.mrr, (1.0 + 1.0 / 3.0 + 1.0 / 5.0) / 3.0);
  const double dcg = discount(0) + discount(2) + discount(4);
  const double ideal = discount(0) + discount(1) + discount(2);
  EXPECT_DOUBLE_EQ(s.ndcg5, dcg / ideal);
  EXPECT_DOUBLE_EQ(s.ndcg10, dcg / ideal);  // only five candidates: same as @5
}

TEST(ScoreImpression, ClicksBeyondTheCutoffsGainNothing) {
  Scores scores(12);
  for (int i = 0; i < 12; ++i) scores[i] = static_cast<float>(12 - i);  // already in rank order
  Labels labels(12, 0);
  labels[11] = 1;
  auto s = score_impression(scores, labels);
  EXPECT_DOUBLE_EQ(s.auc, 0.0);
  EXPECT_DOUBLE_EQ(s.mrr, 1.0 / 12.0);
  EXPECT_DOUBLE_EQ(s.ndcg5, 0.0);
  EXPECT_DOUBLE_EQ(s.ndcg10, 0.0);

  labels[11] = 0;
  labels[7] = 1;  // position 7: inside @10, outside @5
  labels[8] = 1;
  s = score_impression(scores, labels);
  EXPECT_DOUBLE_EQ(s.ndcg5, 0.0);
  EXPECT_DOUBLE_EQ(s.ndcg10, (discount(7) + discount(8)) / (discount(0) + discount(1)));
  EXPECT_DOUBLE_EQ(s.auc, 6.0 / 20.0);  // each click is above the 3 non-clicks after position 8
  EXPECT_DOUBLE_EQ(s.mrr, (1.0 / 8.0 + 1.0 / 9.0) / 2.0);
}

TEST(ScoreImpression, TiesAreBrokenByCandidateOrderAsTheLeaderboard) {
  // All scores equal: ranks follow candidate order, so a click listed first is ranked first.
  auto s = score_impression(Scores{0.3f, 0.3f, 0.3f}, Labels{1, 0, 0});
  EXPECT_DOUBLE_EQ(s.auc, 1.0);
  EXPECT_DOUBLE_EQ(s.mrr, 1.0);
  EXPECT_DOUBLE_EQ(s.ndcg5, 1.0);
  s = score_impression(Scores{0.3f, 0.3f, 0.3f}, Labels{0, 0, 1});
  EXPECT_DOUBLE_EQ(s.auc, 0.0);  // not 0.5 as roc_auc_score on the raw tied scores would give
  EXPECT_DOUBLE_EQ(s.mrr, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.ndcg10, discount(2));
  // A tie between a click and a non-click only: the first-listed one wins.
  s = score_impression(Scores{0.9f, 0.5f, 0.5f}, Labels{0, 0, 1});
  EXPECT_DOUBLE_EQ(s.mrr, 1.0 / 3.0);
  s = score_impression(Scores{0.9f, 0.5f, 0.5f}, Labels{0, 1, 0});
  EXPECT_DOUBLE_EQ(s.mrr, 1.0 / 2.0);
}

TEST(ScoreImpression, OneClassOnlyIsNotScored) {
  EXPECT_FALSE(score_impression(Scores{0.1f, 0.2f}, Labels{1, 1}).scored);
  EXPECT_FALSE(score_impression(Scores{0.1f, 0.2f}, Labels{0, 0}).scored);
  EXPECT_FALSE(score_impression(Scores{}, Labels{}).scored);
  EXPECT_TRUE(score_impression(Scores{0.1f, 0.2f}, Labels{0, 1}).scored);
}

TEST(ScoreImpression, RejectsBadInput) {
  EXPECT_THROW(score_impression(Scores{0.1f, 0.2f}, Labels{0, 2}), Error);
  EXPECT_THROW(score_impression(Scores{0.1f, 0.2f}, Labels{0, -1}), Error);
  EXPECT_THROW(score_impression(Scores{0.1f, 0.2f}, Labels{0}), Error);
  EXPECT_THROW(score_impression(Scores{std::nanf(""), 0.2f}, Labels{0, 1}), Error);
}

TEST(MindMetrics, AveragesScoredImpressionsAndCountsSkippedOnes) {
  MindMetrics m;
  EXPECT_EQ(m.result().impressions, 0);
  EXPECT_DOUBLE_EQ(m.result().auc, 0.0);  // nothing scored yet

  m.add(Scores{0.9f, 0.1f}, Labels{1, 0});           // perfect
  m.add(Scores{0.1f, 0.9f}, Labels{1, 0});           // worst
  m.add(Scores{0.1f, 0.9f, 0.5f}, Labels{1, 1, 1});  // one class: skipped
  const MindResult r = m.result();
  EXPECT_EQ(r.impressions, 2);
  EXPECT_EQ(r.skipped, 1);
  EXPECT_DOUBLE_EQ(r.auc, 0.5);
  EXPECT_DOUBLE_EQ(r.mrr, (1.0 + 0.5) / 2.0);
  EXPECT_DOUBLE_EQ(r.ndcg5, (1.0 + discount(1)) / 2.0);
  EXPECT_DOUBLE_EQ(r.ndcg10, r.ndcg5);
}

TEST(MindMetrics, CsrScoringEqualsImpressionByImpression) {
  const Scores scores{0.1f, 0.9f, 0.5f, 0.3f, 0.3f, 0.2f, 0.7f, 0.6f};
  const Labels labels{0, 0, 1, 1, 0, 0, 1, 1};
  const std::vector<std::int64_t> offsets{0, 3, 5, 5, 6, 8};  // one empty, two one-class
  const MindResult csr = score_impressions(scores, labels, offsets).result();

  MindMetrics expected;
  expected.add(Scores{0.1f, 0.9f, 0.5f}, Labels{0, 0, 1});
  expected.add(Scores{0.3f, 0.3f}, Labels{1, 0});
  expected.add(Scores{}, Labels{});
  expected.add(Scores{0.2f}, Labels{0});
  expected.add(Scores{0.7f, 0.6f}, Labels{1, 1});
  const MindResult one_by_one = expected.result();
  EXPECT_EQ(csr.impressions, 2);
  EXPECT_EQ(csr.skipped, 3);
  EXPECT_EQ(csr.impressions, one_by_one.impressions);
  EXPECT_EQ(csr.skipped, one_by_one.skipped);
  EXPECT_DOUBLE_EQ(csr.auc, one_by_one.auc);
  EXPECT_DOUBLE_EQ(csr.mrr, one_by_one.mrr);
  EXPECT_DOUBLE_EQ(csr.ndcg5, one_by_one.ndcg5);
  EXPECT_DOUBLE_EQ(csr.ndcg10, one_by_one.ndcg10);
}

TEST(MindMetrics, CsrScoringRejectsBadOffsetsAndNamesTheImpression) {
  const Scores scores{0.1f, 0.9f, 0.5f};
  const Labels labels{0, 1, 0};
  EXPECT_THROW(score_impressions(scores, labels, std::vector<std::int64_t>{}), Error);
  EXPECT_THROW(score_impressions(scores, labels, std::vector<std::int64_t>{1, 3}), Error);
  EXPECT_THROW(score_impressions(scores, labels, std::vector<std::int64_t>{0, 2, 1, 3}), Error);
  EXPECT_THROW(score_impressions(scores, labels, std::vector<std::int64_t>{0, 2}), Error);
  try {
    score_impressions(scores, Labels{0, 1, 3}, std::vector<std::int64_t>{0, 1, 3});
    FAIL() << "label 3 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("impression 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("label 3"), std::string::npos) << e.what();
  }
}

TEST(MindMetrics, PackUnpackRoundTripsAndRejectsBadArrays) {
  MindMetrics m;
  m.add(Scores{0.1f, 0.9f, 0.5f}, Labels{0, 0, 1});
  m.add(Scores{0.1f}, Labels{1});
  const auto packed = m.pack();
  const MindResult back = MindMetrics::unpack(packed).result();
  EXPECT_EQ(back.impressions, 1);
  EXPECT_EQ(back.skipped, 1);
  EXPECT_DOUBLE_EQ(back.mrr, 0.5);
  EXPECT_THROW(MindMetrics::unpack(std::vector<double>{1.0, 2.0}), Error);
  EXPECT_THROW(MindMetrics::unpack(std::vector<double>{0.5, 0.5, 0.5, 0.5, 1.5, 0.0}), Error);
  EXPECT_THROW(MindMetrics::unpack(std::vector<double>{-0.5, 0.5, 0.5, 0.5, 1.0, 0.0}), Error);
}

}  // namespace
}  // namespace rsdist::eval
