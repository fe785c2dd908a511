// The ratings corpus end to end below the CLI: the pipeline's counts, ratings.h5 read back equal to
// what was built, byte-identical files for the same seed, and the reader's checks.
#include "data/ratings/ratings_corpus.hpp"

#include <gtest/gtest.h>

#include "core/rng.hpp"
#include "data/hdf5/file.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::ratings {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::error_of;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

// A ratings.csv of 80 users over 50 items with string ids, a duplicate and a blank line.
std::string write_csv(const TempDir& tmp) {
  Rng rng(9);
  std::string text = "userId,movieId,rating,timestamp\n";
  for (int u = 0; u < 80; ++u) {
    for (int k = 0; k < 12; ++k) {
      text += fmt::format("user{},m{},{}.5,{}\n", u, (u * 7 + k * 3) % 50, 1 + rng.uniform_below(4),
                          1000 + rng.uniform_below(500));
    }
  }
  text += "user3,m21,5,99999\n\n";  // user 3 rated m21 at k = 0: a duplicate, newer
  return tmp.write("ratings.csv", text);
}

RatingsCorpusOptions options_for(const std::string& path, SplitMethod method) {
  RatingsCorpusOptions o;
  o.input.path = path;
  o.split.method = method;
  o.split.seed = 4;
  o.split.heldout_users = 10;
  o.negatives = method == SplitMethod::kLoo ? 20 : 0;
  return o;
}

TEST(RatingsCorpus, EachSplitReadsBackEqualAndCountsAddUp) {
  TempDir tmp;
  const std::string csv = write_csv(tmp);
  for (const SplitMethod method :
       {SplitMethod::kLoo, SplitMethod::kRatio, SplitMethod::kHeldoutUsers}) {
    RatingsBuildReport report;
    const RatingsCorpus corpus = build_ratings_corpus(options_for(csv, method), &report);
    const fs::path dir = tmp / std::string(split_method_name(method));
    fs::create_directories(dir);
    write_ratings_corpus_file(corpus, dir / kRatingsCorpusFileName);
    EXPECT_EQ(read_ratings_corpus(dir), corpus) << split_method_name(method);

    const auto& c = report.counts;
    EXPECT_EQ(c["input_rows"], 961);
    EXPECT_EQ(c["blank_lines"], 1);
    EXPECT_EQ(c["duplicates"], 1);
    EXPECT_EQ(c["users"], 80);
    EXPECT_EQ(corpus.num_users(), 80);
    EXPECT_EQ(corpus.user_ids[3], "user3");
    std::int64_t parts = 0;
    for (const auto& [name, part] : corpus.parts) {
      EXPECT_EQ(part.num_users(), 80) << name;
      parts += part.num_interactions();
    }
    EXPECT_EQ(c["interactions"], parts);
    EXPECT_EQ(c["interactions"], 960);
    const RatingsCorpusStatistics s = read_ratings_corpus_statistics(dir);
    EXPECT_EQ(s.interactions(), 960);
    EXPECT_EQ(s.split, split_method_name(method));
    EXPECT_EQ(s.negatives_per_user, corpus.negatives_per_user);
  }
}

TEST(RatingsCorpus, TheDuplicateKeepsTheNewestRating) {
  TempDir tmp;
  const RatingsCorpus corpus = build_ratings_corpus(options_for(write_csv(tmp), SplitMethod::kLoo));
  const auto item =
      std::find(corpus.item_ids.begin(), corpus.item_ids.end(), "m21") - corpus.item_ids.begin();
  const UserItemMatrix& test = corpus.parts.at("test");
  ASSERT_EQ(test.items_of(3).size(), 1u);
  EXPECT_EQ(test.items_of(3)[0], item);  // the newest interaction of user 3
  EXPECT_EQ(test.ratings_of(3)[0], 5.0F);
  EXPECT_FALSE(corpus.implicit);
}

TEST(RatingsCorpus, TheSameSeedGivesTheSameBytesAndAnotherSeedOtherNegatives) {
  TempDir tmp;
  const std::string csv = write_csv(tmp);
  RatingsCorpusOptions o = options_for(csv, SplitMethod::kLoo);
  for (const char* name : {"a", "b"}) {
    fs::create_directories(tmp / name);
    write_ratings_corpus(o, tmp / name);
  }
  EXPECT_EQ(read_file(tmp / "a" / kRatingsCorpusFileName),
            read_file(tmp / "b" / kRatingsCorpusFileName));
  EXPECT_EQ(read_file(tmp / "a" / "manifest.json"), read_file(tmp / "b" / "manifest.json"));
  o.split.seed = 5;
  EXPECT_NE(build_ratings_corpus(o).test_negatives, read_ratings_corpus(tmp / "a").test_negatives);
}

TEST(RatingsCorpus, ImplicitThresholdAndKCoreCombine) {
  TempDir tmp;
  RatingsCorpusOptions o = options_for(write_csv(tmp), SplitMethod::kLoo);
  o.implicit_threshold = 3.5;
  o.min_user_interactions = 5;
  o.min_item_interactions = 5;
  o.negatives = 5;
  RatingsBuildReport report;
  const RatingsCorpus corpus = build_ratings_corpus(o, &report);
  EXPECT_TRUE(corpus.implicit);
  EXPECT_GT(report.counts["below_threshold"].get<std::int64_t>(), 0);
  std::vector<std::int64_t> item_count(static_cast<std::size_t>(corpus.num_items()));
  for (std::int64_t u = 0; u < corpus.num_users(); ++u) {
    std::int64_t n = 0;
    for (const auto& [name, part] : corpus.parts) {
      n += part.size_of(u);
      for (const std::int32_t item : part.items_of(u)) ++item_count[static_cast<std::size_t>(item)];
      for (const float r : part.ratings_of(u)) EXPECT_EQ(r, 1.0F);
    }
    EXPECT_GE(n, 5) << u;
  }
  for (const auto n : item_count) EXPECT_GE(n, 5);
}

TEST(RatingsCorpus, BadOptionCombinationsAndDamagedFilesAreNamed) {
  TempDir tmp;
  const std::string csv = write_csv(tmp);
  RatingsCorpusOptions o = options_for(csv, SplitMethod::kRatio);
  o.negatives = 5;
  EXPECT_NE(error_of([&] { build_ratings_corpus(o); }).find("--negatives 5 applies to --split loo"),
            std::string::npos);
  o = options_for(tmp.write("pairs.csv", "user,item\na,b\n"), SplitMethod::kLoo);
  o.implicit_threshold = 4;
  EXPECT_NE(error_of([&] { build_ratings_corpus(o); }).find("--implicit_threshold"),
            std::string::npos);
  o.implicit_threshold.reset();
  o.min_user_interactions = 3;
  EXPECT_NE(error_of([&] { build_ratings_corpus(o); }).find("no interactions are left"),
            std::string::npos);

  fs::create_directories(tmp / "bad");
  {
    h5::File file = h5::File::create(tmp / "bad" / kRatingsCorpusFileName);
    file.write_attribute("/", "kind", "seq");
    file.close();
  }
  const std::string message = error_of([&] { read_ratings_corpus(tmp / "bad"); });
  EXPECT_NE(message.find("ratings.h5: kind 'seq'"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { read_ratings_corpus(tmp / "absent"); }).find("absent"),
            std::string::npos);
}

}  // namespace
}  // namespace rsdist::ratings
