// The S3-Rec split of the official code's get_user_seqs + SASRecDataset, on the shared Beauty
// data: for a user with items s, training reads s[:-3] and predicts s[1:-2] at every position,
// validation reads s[:-2] and predicts s[-2], test reads s[:-1] and predicts s[-1]; full ranking
// masks s[:-2] (valid) and s[:-1] (test). The corpus's splits must hold exactly that, and its
// sampled candidates must be 99 distinct items the user never touched.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "data/seq/item_attributes.hpp"
#include "data/seq/seq_corpus.hpp"

namespace rsdist::seq {
namespace {

using Items = std::vector<std::int32_t>;

const std::string kBeautyDir = std::string(RSDIST_SOURCE_DIR) + "/../shared/data/s3rec";

Items span_items(std::span<const std::int32_t> s) { return {s.begin(), s.end()}; }

TEST(S3RecSplit, EqualsTheOfficialGetUserSeqsOnBeauty) {
  const std::string path = kBeautyDir + "/Beauty.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  // The official reading: "user item item ..." per line, in file order.
  std::vector<Items> official;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string user;
      fields >> user;
      Items items;
      for (std::int32_t item = 0; fields >> item;) items.push_back(item);
      official.push_back(std::move(items));
    }
  }
  ASSERT_EQ(official.size(), 22363u);

  SeqCorpus corpus = build_seq_corpus(read_sequences(path, SequenceFormat::kSpaceSeparated),
                                      WitgNormalization::kNone);
  add_sampled_negatives(corpus, 99, 1);
  ASSERT_EQ(corpus.splits.valid.size(), official.size());
  ASSERT_EQ(corpus.splits.test.size(), official.size());
  std::size_t train_example = 0;  // the longest training prefix of each user comes first
  for (std::size_t u = 0; u < official.size(); ++u) {
    const Items& s = official[u];
    const auto n = static_cast<std::ptrdiff_t>(s.size());
    EXPECT_EQ(span_items(example_prefix(corpus.sequences, corpus.splits.valid, u)),
              Items(s.begin(), s.end() - 2));
    EXPECT_EQ(corpus.splits.valid.targets[u], s[s.size() - 2]);
    EXPECT_EQ(span_items(example_prefix(corpus.sequences, corpus.splits.test, u)),
              Items(s.begin(), s.end() - 1));
    EXPECT_EQ(corpus.splits.test.targets[u], s.back());
    // Training input s[:-3]: its positions' targets s[1:-2] are the same row's next items.
    if (n > 3) {
      ASSERT_LT(train_example, corpus.splits.train.size());
      EXPECT_EQ(corpus.splits.train.rows[train_example], static_cast<std::int64_t>(u));
      EXPECT_EQ(span_items(example_prefix(corpus.sequences, corpus.splits.train, train_example)),
                Items(s.begin(), s.end() - 3));
      EXPECT_EQ(corpus.splits.train.targets[train_example], s[s.size() - 3]);
      train_example += static_cast<std::size_t>(n - 3);
    }
    // generate_rating_matrix_valid: the items of s[:-2].
    const std::set<std::int32_t> valid_mask(s.begin(), s.end() - 2);
    EXPECT_EQ(span_items(corpus.train_matrix.sequence(u)),
              Items(valid_mask.begin(), valid_mask.end()));
    const std::set<std::int32_t> own(s.begin(), s.end());
    const Items negatives = span_items(corpus.negatives_of(u));
    ASSERT_EQ(negatives.size(), 99u);
    EXPECT_EQ(std::set<std::int32_t>(negatives.begin(), negatives.end()).size(), 99u);
    for (const std::int32_t item : negatives) EXPECT_EQ(own.count(item), 0u) << "user " << u;
    if (HasFailure()) FAIL() << "first difference at user row " << u;
  }
  EXPECT_EQ(train_example, corpus.splits.train.size());
}

TEST(S3RecSplit, BeautyAttributesCoverEveryItem) {
  const std::string path = kBeautyDir + "/Beauty_item2attributes.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present: " << path;
  const SequenceCorpus sequences =
      read_sequences(kBeautyDir + "/Beauty.txt", SequenceFormat::kSpaceSeparated);
  ItemAttributeCounts counts;
  const ItemAttributes a = read_item_attributes(path, items_present(sequences), &counts);
  // The figures and the official get_item2attribute_json (attribute_size = 637 + 1).
  EXPECT_EQ(a.num_attributes, 638);
  EXPECT_EQ(counts.distinct_attributes, 637);
  EXPECT_EQ(counts.items_with_attributes, 12101);
  EXPECT_EQ(counts.items_without_attributes, 0);
  EXPECT_EQ(counts.unknown_items, 0);
  EXPECT_EQ(span_items(a.of(4)), (Items{1, 2, 3}));  // the file's first entry: "4": [1, 2, 3]
}

}  // namespace
}  // namespace rsdist::seq
