#include "data/seq/item_attributes.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/seq/sampled_negatives.hpp"
#include "data/seq/seq_corpus.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::seq {
namespace {

using Ids = std::vector<std::int32_t>;

Ids row(const ItemAttributes& a, std::int64_t item) {
  const auto r = a.of(item);
  return {r.begin(), r.end()};
}

// Items 1..5 occur except 4.
const std::vector<bool> kPresent{false, true, true, true, false, true};

std::string error_of(const std::string& text) {
  try {
    parse_item_attributes(text, "items.json", kPresent);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ItemAttributes, StoresSortedDistinctIdsPerItemAndCountsCoverage) {
  ItemAttributeCounts counts;
  const ItemAttributes a = parse_item_attributes(
      R"({"1": [3, 1, 3], "3": [7], "4": [2], "9": [5], "5": []})", "items.json", kPresent,
      &counts);
  ASSERT_EQ(a.num_items(), 6);  // rows 0..5
  EXPECT_EQ(row(a, 0), Ids{});
  EXPECT_EQ(row(a, 1), (Ids{1, 3}));
  EXPECT_EQ(row(a, 2), Ids{});
  EXPECT_EQ(row(a, 3), Ids{7});
  EXPECT_EQ(row(a, 4), Ids{});  // not a corpus item: dropped
  EXPECT_EQ(row(a, 5), Ids{});
  EXPECT_EQ(a.num_attributes, 8);  // largest kept id + 1
  EXPECT_EQ(counts.items_with_attributes, 2);
  EXPECT_EQ(counts.items_without_attributes, 2);  // items 2 and 5
  EXPECT_EQ(counts.unknown_items, 2);             // 4 (absent) and 9 (above the largest)
  EXPECT_EQ(counts.distinct_attributes, 3);
  EXPECT_EQ(counts.entries, 3);
}

TEST(ItemAttributes, MalformedFilesAreErrorsNamingTheFile) {
  EXPECT_NE(error_of(R"({"1": [1, 2)").find("items.json: not valid JSON at byte"),
            std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("items.json: expected one JSON object"), std::string::npos);
  EXPECT_NE(error_of(R"({"x1": [1]})").find("key \"x1\" is not an item id"), std::string::npos);
  EXPECT_NE(error_of(R"({"0": [1]})").find("key \"0\" is not an item id"), std::string::npos);
  EXPECT_NE(error_of(R"({"1": 3})").find("item 1: expected a list"), std::string::npos);
  EXPECT_NE(error_of(R"({"1": [0]})").find("item 1: attribute 0 is not an id >= 1"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"2": ["a"]})").find("item 2: attribute \"a\""), std::string::npos);
}

TEST(ItemAttributes, AMissingFileIsAnErrorNamingIt) {
  try {
    read_item_attributes("/nonexistent/items.json", kPresent);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/items.json"), std::string::npos);
  }
}

SequenceCorpus small_corpus() {
  SequenceCorpus corpus;
  corpus.append(1, Ids{1, 2, 3, 4});
  corpus.append(2, Ids{5, 6, 7});
  corpus.append(3, Ids{2, 8, 9, 10, 11, 12});
  return corpus;
}

TEST(SampledNegatives, NeverAUsersItemDistinctAndAPureFunctionOfTheSeed) {
  SequenceCorpus corpus = small_corpus();
  corpus.append(4, Ids{1, 3, 5, 7, 9, 11, 12, 2, 4});  // 9 of the 12 items: the list path
  const std::int64_t n = 3;
  const std::vector<std::int32_t> a = sample_user_negatives(corpus, n, 7);
  ASSERT_EQ(a.size(), corpus.num_sequences() * n);
  for (std::size_t r = 0; r < corpus.num_sequences(); ++r) {
    const auto own = corpus.sequence(r);
    Ids drawn(a.begin() + static_cast<std::ptrdiff_t>(r * n),
              a.begin() + static_cast<std::ptrdiff_t>((r + 1) * n));
    for (const std::int32_t item : drawn) {
      EXPECT_EQ(std::find(own.begin(), own.end(), item), own.end()) << "row " << r;
      EXPECT_GE(item, 1);
      EXPECT_LE(item, 12);
    }
    std::sort(drawn.begin(), drawn.end());
    EXPECT_EQ(std::unique(drawn.begin(), drawn.end()), drawn.end()) << "row " << r;
  }
  EXPECT_EQ(sample_user_negatives(corpus, n, 7), a);
  EXPECT_NE(sample_user_negatives(corpus, n, 8), a);
}

TEST(SampledNegatives, EveryEligibleItemIsEquallyLikely) {
  SequenceCorpus corpus;
  corpus.append(1, Ids{1, 2});
  corpus.append(2, Ids{3, 4, 5, 6, 7, 8, 9, 10});
  // Row 0 may draw 3..10 (8 items), 2 of them per seed: over 4000 seeds each item ~1000 times.
  std::vector<int> hits(11, 0);
  for (std::uint64_t seed = 0; seed < 4000; ++seed) {
    const auto drawn = sample_user_negatives(corpus, 2, seed);
    ++hits[static_cast<std::size_t>(drawn[0])];
    ++hits[static_cast<std::size_t>(drawn[1])];
  }
  for (int item = 3; item <= 10; ++item) {
    EXPECT_NEAR(hits[static_cast<std::size_t>(item)], 1000, 120) << "item " << item;
  }
}

TEST(SampledNegatives, TooFewEligibleItemsIsAnErrorNamingTheUser) {
  try {
    sample_user_negatives(small_corpus(), 8, 1);  // user 3 holds 6 of the 12 items
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("user 3 interacted with 6 of the corpus's 12 items"),
              std::string::npos)
        << e.what();
  }
}

TEST(SeqCorpusFile, AttributesAndNegativesRoundTripAndCount) {
  const rsdist::testing::TempDir dir;
  SeqCorpus corpus = build_seq_corpus(small_corpus(), WitgNormalization::kNone);
  corpus.attributes = parse_item_attributes(R"({"1": [2], "2": [1, 4], "12": [3]})", "a.json",
                                            items_present(corpus.sequences));
  add_sampled_negatives(corpus, 2, 5);
  write_seq_corpus_file(corpus, dir.path() / kSeqCorpusFileName);

  const SeqCorpus back = read_seq_corpus(dir.path());
  EXPECT_EQ(back.attributes, corpus.attributes);
  EXPECT_EQ(back.negatives_per_user, 2);
  EXPECT_EQ(back.sampled_negatives, corpus.sampled_negatives);
  const auto own = back.sequences.sequence(1);
  for (const std::int32_t item : back.negatives_of(1)) {
    EXPECT_EQ(std::find(own.begin(), own.end(), item), own.end());
  }

  const SeqCorpusCounts c = read_seq_corpus_counts(dir.path());
  EXPECT_EQ(c.attribute_table, 5);
  EXPECT_EQ(c.attributes.items_with_attributes, 3);
  EXPECT_EQ(c.attributes.items_without_attributes, 9);
  EXPECT_EQ(c.attributes.distinct_attributes, 4);
  EXPECT_EQ(c.negatives_per_user, 2);
}

TEST(SeqCorpusFile, ACorpusWithoutAttributesOrNegativesReadsAsBefore) {
  const rsdist::testing::TempDir dir;
  const SeqCorpus corpus = build_seq_corpus(small_corpus(), WitgNormalization::kNone);
  write_seq_corpus_file(corpus, dir.path() / kSeqCorpusFileName);
  const SeqCorpus back = read_seq_corpus(dir.path());
  EXPECT_TRUE(back.attributes.empty());
  EXPECT_EQ(back.negatives_per_user, 0);
  EXPECT_EQ(read_seq_corpus_counts(dir.path()).attribute_table, 0);
}

}  // namespace
}  // namespace rsdist::seq
