#include "data/mind/behaviors.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"
#include "data/synth/synth.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::mind {
namespace {

using Ints = std::vector<std::int32_t>;
using Longs = std::vector<std::int64_t>;

Dictionary news_dictionary(const std::vector<std::string>& ids) {
  Dictionary news;
  news.add("<PAD>");
  for (const auto& id : ids) news.add(id);
  return news;
}

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.message();
  }
  ADD_FAILURE() << "no error";
  return "";
}

// News N1..N4 -> 1..4; users <UNK> U1 U2 U3 -> 0..3.
struct Tiny {
  Dictionary news = news_dictionary({"N1", "N2", "N3", "N4"});
  BehaviorsTable train = parse_behaviors(
      "1\tU1\t11/11/2019 9:00:00 AM\tN1 N2 N3\tN4-1 N2-0 N3-1\n"
      "2\tU2\t11/11/2019 9:01:00 AM\t\tN1-0 N4-1\n"
      "3\tU1\t11/11/2019 9:02:00 AM\tN3\tN2-0\n"
      "4\tU3\t11/11/2019 9:03:00 AM\tN2\tN1-1\n",
      "train/behaviors.tsv");
  Dictionary users = build_user_dictionary(train);
};

TEST(MindBehaviors, TrainSamplesOnePerClickWithTheImpressionsNegatives) {
  const Tiny tiny;
  const TrainSamples s =
      build_train_samples(tiny.train, tiny.users, tiny.news, {2, MissingNews::kError});
  ASSERT_EQ(s.impressions.size(), 4u);
  EXPECT_EQ(s.impressions.user, (Ints{1, 2, 1, 3}));
  EXPECT_EQ(s.impressions.source_line, (Longs{1, 2, 3, 4}));
  // History: the last max_history_num=2 news, oldest first; an empty history stays empty.
  EXPECT_EQ(s.impressions.history_offsets, (Longs{0, 2, 2, 3, 4}));
  EXPECT_EQ(s.impressions.history_news, (Ints{2, 3, 3, 2}));
  // Clicks N4, N3 of impression 0, N4 of 1, none of 2, N1 of 3 (which has no negatives).
  EXPECT_EQ(s.sample_impression, (Ints{0, 0, 1, 3}));
  EXPECT_EQ(s.positive_news, (Ints{4, 3, 4, 1}));
  EXPECT_EQ(s.negative_offsets, (Longs{0, 1, 2, 3, 3}));
  EXPECT_EQ(s.negative_news, (Ints{2, 1, 2}));
  EXPECT_EQ(s.negatives(3).size(), 0u);
  EXPECT_EQ(s.missing.total(), 0);
}

TEST(MindBehaviors, EvalKeepsEveryCandidateUnknownUsersAreZeroTestIsUnlabeled) {
  const Tiny tiny;
  const BehaviorsTable dev = parse_behaviors(
      "10\tU2\tt\tN1\tN2-0 N3-1\n"
      "11\tU9\tt\tN1 N2 N3\tN4-0\n",
      "dev/behaviors.tsv");
  const EvalSamples d = build_eval_samples(dev, tiny.users, tiny.news);
  EXPECT_EQ(d.impressions.user, (Ints{2, 0}));
  EXPECT_EQ(d.impressions.history_news, (Ints{1, 1, 2, 3}));
  EXPECT_EQ(d.impressions.history_offsets, (Longs{0, 1, 4}));
  EXPECT_EQ(d.candidate_impression, (Ints{0, 0, 1}));
  EXPECT_EQ(d.candidate_news, (Ints{2, 3, 4}));
  EXPECT_EQ(d.label, (std::vector<std::int8_t>{0, 1, 0}));

  const BehaviorsTable test = parse_behaviors("20\tU1\tt\t\tN1 N4\n", "test/behaviors.tsv");
  const EvalSamples t = build_eval_samples(test, tiny.users, tiny.news);
  EXPECT_EQ(t.candidate_news, (Ints{1, 4}));
  EXPECT_EQ(t.label, (std::vector<std::int8_t>{-1, -1}));
  EXPECT_EQ(t.impressions.history(0).size(), 0u);

  // Train needs labels.
  const std::string message = error_of([&] { build_train_samples(test, tiny.users, tiny.news); });
  EXPECT_NE(message.find("test/behaviors.tsv:1"), std::string::npos) << message;
}

TEST(MindBehaviors, MissingNewsErrorNamesFileLineAndIdSkipDropsAndCounts) {
  const Tiny tiny;
  const BehaviorsTable train = parse_behaviors(
      "1\tU1\tt\tN1 N2\tN1-1\n"
      "2\tU1\tt\tN1 N2 NX\tNY-1 N2-0 NZ-0\n",
      "train/behaviors.tsv");
  const std::string message = error_of([&] { build_train_samples(train, tiny.users, tiny.news); });
  EXPECT_NE(message.find("train/behaviors.tsv:2"), std::string::npos) << message;
  EXPECT_NE(message.find("'NX'"), std::string::npos) << message;
  EXPECT_NE(message.find("missing_news=skip"), std::string::npos) << message;

  const TrainSamples s = build_train_samples(train, tiny.users, tiny.news, {2, MissingNews::kSkip});
  // NX is dropped before truncation: the history keeps two known news.
  EXPECT_EQ(s.impressions.history_news, (Ints{1, 2, 1, 2}));
  EXPECT_EQ(s.positive_news, (Ints{1}));  // the click on NY is gone with NY
  EXPECT_EQ(s.negative_news, (Ints{2}));
  EXPECT_EQ(s.missing.history_ids, 1);
  EXPECT_EQ(s.missing.impression_ids, 2);
  EXPECT_EQ(s.missing.impressions_affected, 1);
  ASSERT_EQ(s.missing.first_messages.size(), 3u);
  EXPECT_NE(s.missing.first_messages[1].find("'NY'"), std::string::npos);

  const EvalSamples d = build_eval_samples(train, tiny.users, tiny.news, {50, MissingNews::kSkip});
  EXPECT_EQ(d.candidate_news, (Ints{1, 2}));
  EXPECT_EQ(d.candidate_impression, (Ints{0, 1}));
  EXPECT_EQ(d.missing.total(), 3);
}

TEST(MindBehaviors, RejectsNonPositiveHistoryLength) {
  const Tiny tiny;
  EXPECT_THROW(build_train_samples(tiny.train, tiny.users, tiny.news, {0, MissingNews::kError}),
               Error);
}

struct SynthSplits {
  testing::TempDir dir;
  BehaviorsTable train, dev, test;
  Dictionary users, news;
  SynthSplits() {
    synth::MindOptions options;
    options.news = 300;
    options.users = 80;
    options.train_impressions = 300;
    options.dev_impressions = 100;
    options.test_impressions = 60;
    synth::write_mind(options, dir.path());
    train = read_behaviors((dir / "train/behaviors.tsv").string());
    dev = read_behaviors((dir / "dev/behaviors.tsv").string());
    test = read_behaviors((dir / "test/behaviors.tsv").string());
    users = build_user_dictionary(train);
    news.add("<PAD>");
    for (const char* split : {"train", "dev", "test"}) {
      for (const auto& row : read_news((dir / split / "news.tsv").string()).rows)
        news.add(row.news_id);
    }
  }
};

void expect_history_is_the_tail(const BehaviorsTable& table, const ImpressionTable& impressions,
                                const Dictionary& news, std::size_t max_history) {
  ASSERT_EQ(impressions.size(), table.rows.size());
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    const BehaviorRow& row = table.rows[r];
    const std::size_t length = row.history_end - row.history_begin;
    const auto history = impressions.history(r);
    ASSERT_EQ(history.size(), std::min(length, max_history));
    for (std::size_t i = 0; i < history.size(); ++i) {
      ASSERT_EQ(history[i], news.find(table.history_ids[row.history_end - history.size() + i]));
    }
  }
}

TEST(MindBehaviors, SyntheticTrainAndDevInvariants) {
  const SynthSplits data;
  const std::int32_t news_count = data.news.size();
  const TrainSamples s =
      build_train_samples(data.train, data.users, data.news, {10, MissingNews::kError});
  std::int64_t clicks = 0;
  for (const auto label : data.train.labels) clicks += label == 1 ? 1 : 0;
  EXPECT_EQ(static_cast<std::int64_t>(s.size()), clicks);
  EXPECT_EQ(s.negative_news.size() + s.size(), data.train.impression_ids.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    ASSERT_GE(s.positive_news[i], 1);
    ASSERT_LT(s.positive_news[i], news_count);
    ASSERT_LT(static_cast<std::size_t>(s.sample_impression[i]), s.impressions.size());
    if (i > 0) {
      ASSERT_LE(s.sample_impression[i - 1], s.sample_impression[i]);
    }
  }
  for (const std::int32_t n : s.negative_news) ASSERT_TRUE(n >= 1 && n < news_count);
  for (const std::int32_t u : s.impressions.user) ASSERT_TRUE(u >= 1 && u < data.users.size());
  expect_history_is_the_tail(data.train, s.impressions, data.news, 10);

  const EvalSamples d = build_eval_samples(data.dev, data.users, data.news);
  EXPECT_EQ(d.size(), data.dev.impression_ids.size());
  EXPECT_EQ(d.label, data.dev.labels);
  for (std::size_t i = 0; i < d.size(); ++i) {
    ASSERT_TRUE(d.candidate_news[i] >= 1 && d.candidate_news[i] < news_count);
    ASSERT_EQ(d.candidate_news[i], data.news.find(data.dev.impression_ids[i]));
  }
  expect_history_is_the_tail(data.dev, d.impressions, data.news, 50);
  const EvalSamples t = build_eval_samples(data.test, data.users, data.news);
  EXPECT_EQ(t.size(), data.test.impression_ids.size());

  // Deterministic: the same input gives the same arrays.
  const TrainSamples again =
      build_train_samples(data.train, data.users, data.news, {10, MissingNews::kError});
  EXPECT_EQ(again.impressions.history_news, s.impressions.history_news);
  EXPECT_EQ(again.positive_news, s.positive_news);
  EXPECT_EQ(again.negative_news, s.negative_news);
}

TEST(MindBehaviors, SyntheticMissingNewsAreCountedWithSkip) {
  const SynthSplits data;
  // Keep every other news: the rest become missing ids.
  Dictionary half;
  half.add("<PAD>");
  for (std::size_t i = 1; i < data.news.names.size(); i += 2) half.add(data.news.names[i]);
  std::int64_t missing_history = 0;
  std::int64_t missing_candidates = 0;
  for (const auto id : data.dev.history_ids) missing_history += half.find(id) < 0 ? 1 : 0;
  for (const auto id : data.dev.impression_ids) missing_candidates += half.find(id) < 0 ? 1 : 0;
  ASSERT_GT(missing_history, 0);
  ASSERT_GT(missing_candidates, 0);

  EXPECT_THROW(build_eval_samples(data.dev, data.users, half), Error);
  const EvalSamples d = build_eval_samples(data.dev, data.users, half, {50, MissingNews::kSkip});
  EXPECT_EQ(d.missing.history_ids, missing_history);
  EXPECT_EQ(d.missing.impression_ids, missing_candidates);
  EXPECT_EQ(static_cast<std::int64_t>(d.size()),
            static_cast<std::int64_t>(data.dev.impression_ids.size()) - missing_candidates);
  EXPECT_EQ(d.missing.first_messages.size(), MissingNewsReport::kMaxMessages);
  for (const std::int32_t n : d.candidate_news) ASSERT_TRUE(n >= 1 && n < half.size());
  for (const std::int32_t n : d.impressions.history_news) ASSERT_TRUE(n >= 1 && n < half.size());
}

// Real MIND rows: many history news are absent from the 2,000-row news.tsv.
TEST(MindBehaviors, RealRowsMissingIdsMatchAnIndependentCount) {
  const std::string root = std::string(RSDIST_SOURCE_DIR) + "/../shared/data/mind_rows/";
  if (!std::filesystem::exists(root + "behaviors.tsv")) GTEST_SKIP() << root << " absent";
  const BehaviorsTable behaviors = read_behaviors(root + "behaviors.tsv");
  const NewsTable news_table = read_news(root + "news.tsv");
  Dictionary news;
  news.add("<PAD>");
  std::unordered_set<std::string_view> known;
  for (const auto& row : news_table.rows) {
    news.add(row.news_id);
    known.insert(row.news_id);
  }
  std::int64_t missing = 0;
  for (const auto id : behaviors.history_ids) missing += known.count(id) ? 0 : 1;
  for (const auto id : behaviors.impression_ids) missing += known.count(id) ? 0 : 1;
  const Dictionary users = build_user_dictionary(behaviors);
  const TrainSamples s = build_train_samples(behaviors, users, news, {50, MissingNews::kSkip});
  EXPECT_GT(missing, 0);
  EXPECT_EQ(s.missing.total(), missing);
  for (const auto& message : s.missing.first_messages) {
    EXPECT_EQ(message.rfind(root + "behaviors.tsv:", 0), 0u) << message;
  }
}

}  // namespace
}  // namespace rsdist::mind
