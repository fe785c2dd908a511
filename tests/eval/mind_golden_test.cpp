// The MIND metrics against golden values from scikit-learn and MIND's evaluate.py definitions
// (tests/eval/make_golden.py wrote tests/data/eval/mind_golden.json).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "eval/mind_metrics.hpp"
#include "eval/mind_prediction.hpp"

namespace rsdist::eval {
namespace {

constexpr double kTolerance = 1e-6;

struct Golden {
  std::vector<float> scores;  // all impressions, CSR
  std::vector<std::int32_t> labels;
  std::vector<std::int64_t> offsets{0};
  nlohmann::json json;
};

const Golden& golden() {
  static const Golden g = [] {
    Golden out;
    std::ifstream in(std::string(RSDIST_SOURCE_DIR) + "/tests/data/eval/mind_golden.json");
    EXPECT_TRUE(in) << "tests/data/eval/mind_golden.json is missing";
    out.json = nlohmann::json::parse(in);
    for (const auto& impression : out.json.at("impressions")) {
      for (const double s : impression.at("scores")) out.scores.push_back(static_cast<float>(s));
      for (const int l : impression.at("labels")) out.labels.push_back(l);
      out.offsets.push_back(static_cast<std::int64_t>(out.scores.size()));
    }
    return out;
  }();
  return g;
}

std::span<const float> scores_of(const Golden& g, std::size_t j) {
  return std::span<const float>(g.scores).subspan(g.offsets[j], g.offsets[j + 1] - g.offsets[j]);
}
std::span<const std::int32_t> labels_of(const Golden& g, std::size_t j) {
  return std::span<const std::int32_t>(g.labels).subspan(g.offsets[j],
                                                         g.offsets[j + 1] - g.offsets[j]);
}

TEST(MindGolden, HasImpressionsOfEveryKind) {
  const auto& impressions = golden().json.at("impressions");
  ASSERT_GE(impressions.size(), 100u);
  int skipped = 0;
  int with_ties = 0;
  for (const auto& imp : impressions) {
    skipped += imp.at("skipped").get<bool>() ? 1 : 0;
    const auto scores = imp.at("scores").get<std::vector<double>>();
    with_ties += std::set<double>(scores.begin(), scores.end()).size() < scores.size() ? 1 : 0;
  }
  EXPECT_GT(skipped, 0);
  EXPECT_GT(with_ties, 20);
}

TEST(MindGolden, RanksEqualPythonsStableSort) {
  const Golden& g = golden();
  const auto& impressions = g.json.at("impressions");
  for (std::size_t j = 0; j < impressions.size(); ++j) {
    EXPECT_EQ(mind_ranks(scores_of(g, j)),
              impressions[j].at("ranks").get<std::vector<std::int32_t>>())
        << "impression " << j;
  }
}

TEST(MindGolden, ImpressionMetricsEqualScikitLearn) {
  const Golden& g = golden();
  const auto& impressions = g.json.at("impressions");
  for (std::size_t j = 0; j < impressions.size(); ++j) {
    const auto& expected = impressions[j];
    const ImpressionScore s = score_impression(scores_of(g, j), labels_of(g, j));
    ASSERT_EQ(s.scored, !expected.at("skipped").get<bool>()) << "impression " << j;
    if (!s.scored) continue;
    EXPECT_NEAR(s.auc, expected.at("auc").get<double>(), kTolerance) << "impression " << j;
    EXPECT_NEAR(s.mrr, expected.at("mrr").get<double>(), kTolerance) << "impression " << j;
    EXPECT_NEAR(s.ndcg5, expected.at("ndcg5").get<double>(), kTolerance) << "impression " << j;
    EXPECT_NEAR(s.ndcg10, expected.at("ndcg10").get<double>(), kTolerance) << "impression " << j;
  }
}

TEST(MindGolden, MeansEqualScikitLearn) {
  const Golden& g = golden();
  const auto& mean = g.json.at("mean");
  const MindResult r = score_impressions(g.scores, g.labels, g.offsets).result();
  EXPECT_EQ(r.impressions, mean.at("impressions").get<std::int64_t>());
  EXPECT_EQ(r.skipped, mean.at("skipped").get<std::int64_t>());
  EXPECT_NEAR(r.auc, mean.at("auc").get<double>(), kTolerance);
  EXPECT_NEAR(r.mrr, mean.at("mrr").get<double>(), kTolerance);
  EXPECT_NEAR(r.ndcg5, mean.at("ndcg5").get<double>(), kTolerance);
  EXPECT_NEAR(r.ndcg10, mean.at("ndcg10").get<double>(), kTolerance);
}

TEST(MindGolden, ShardsMergedEqualOnePass) {
  const Golden& g = golden();
  const std::size_t impressions = g.offsets.size() - 1;
  // Three uneven shards of consecutive impressions, as ranks would score them.
  const std::vector<std::size_t> cuts{0, impressions / 5, impressions / 2, impressions};
  MindMetrics merged;
  for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
    std::vector<std::int64_t> offsets;
    for (std::size_t j = cuts[s]; j <= cuts[s + 1]; ++j) {
      offsets.push_back(g.offsets[j] - g.offsets[cuts[s]]);
    }
    const auto begin = static_cast<std::size_t>(g.offsets[cuts[s]]);
    const auto size = static_cast<std::size_t>(offsets.back());
    const MindMetrics shard =
        score_impressions(std::span<const float>(g.scores).subspan(begin, size),
                          std::span<const std::int32_t>(g.labels).subspan(begin, size), offsets);
    merged.merge(MindMetrics::unpack(shard.pack()));  // as if gathered from another rank
  }
  const MindResult one_pass = score_impressions(g.scores, g.labels, g.offsets).result();
  const MindResult r = merged.result();
  EXPECT_EQ(r.impressions, one_pass.impressions);
  EXPECT_EQ(r.skipped, one_pass.skipped);
  EXPECT_NEAR(r.auc, one_pass.auc, 1e-12);
  EXPECT_NEAR(r.mrr, one_pass.mrr, 1e-12);
  EXPECT_NEAR(r.ndcg5, one_pass.ndcg5, 1e-12);
  EXPECT_NEAR(r.ndcg10, one_pass.ndcg10, 1e-12);
}

TEST(MindGolden, PredictionLinesCarryTheReferenceRanks) {
  const Golden& g = golden();
  const auto& impressions = g.json.at("impressions");
  std::vector<std::int64_t> ids(impressions.size());
  for (std::size_t j = 0; j < ids.size(); ++j) ids[j] = static_cast<std::int64_t>(j + 1);
  const std::string text = format_mind_prediction(ids, g.offsets, g.scores);
  std::string expected;
  for (std::size_t j = 0; j < impressions.size(); ++j) {
    if (j > 0) expected += '\n';
    expected += std::to_string(j + 1) + " " + impressions[j].at("ranks").dump();
  }
  EXPECT_EQ(text, expected);
}

}  // namespace
}  // namespace rsdist::eval
