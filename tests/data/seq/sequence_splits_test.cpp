#include "data/seq/sequence_splits.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::seq {
namespace {

using Items = std::vector<std::int32_t>;

Items prefix_of(const SequenceCorpus& corpus, const PrefixExamples& examples, std::size_t e) {
  const auto s = example_prefix(corpus, examples, e);
  return {s.begin(), s.end()};
}

TEST(SequenceSplits, LeavesTwoOutAndListsTrainPrefixesLongestFirst) {
  SequenceCorpus corpus;
  corpus.append(0, Items{1, 2, 3, 4, 5, 6, 7, 8});
  corpus.append(4, Items{5, 9, 10});
  const SequenceSplits splits = split_sequences(corpus);

  // Test: the last item with everything before it.
  ASSERT_EQ(splits.test.size(), 2u);
  EXPECT_EQ(prefix_of(corpus, splits.test, 0), (Items{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(splits.test.targets[0], 8);
  EXPECT_EQ(prefix_of(corpus, splits.test, 1), (Items{5, 9}));
  EXPECT_EQ(splits.test.targets[1], 10);
  // Valid: the second-to-last item.
  ASSERT_EQ(splits.valid.size(), 2u);
  EXPECT_EQ(prefix_of(corpus, splits.valid, 0), (Items{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(splits.valid.targets[0], 7);
  EXPECT_EQ(prefix_of(corpus, splits.valid, 1), (Items{5}));
  EXPECT_EQ(splits.valid.targets[1], 9);
  EXPECT_EQ(splits.valid.prefix_lengths, (std::vector<std::int32_t>{6, 1}));

  // Train, as GCL4SR's train.pkl for user 0: [1..5]->6, [1..4]->5, ..., [1]->2; the 3-item user
  // contributes nothing (its only training item has no successor inside the training part).
  ASSERT_EQ(splits.train.size(), 5u);
  EXPECT_EQ(splits.train.rows, (std::vector<std::int64_t>{0, 0, 0, 0, 0}));
  EXPECT_EQ(splits.train.prefix_lengths, (std::vector<std::int32_t>{5, 4, 3, 2, 1}));
  EXPECT_EQ(splits.train.targets, (std::vector<std::int32_t>{6, 5, 4, 3, 2}));
  EXPECT_EQ(prefix_of(corpus, splits.train, 0), (Items{1, 2, 3, 4, 5}));
  EXPECT_EQ(prefix_of(corpus, splits.train, 4), (Items{1}));

  // all_train_seq: the sequence minus its last two items, user ids kept.
  const SequenceCorpus& all_train = splits.all_train_sequences;
  EXPECT_EQ(all_train.users, (std::vector<std::int64_t>{0, 4}));
  EXPECT_EQ(format_sequences_gcl4sr(all_train), "0 1,2,3,4,5,6\n4 5\n");
}

TEST(SequenceSplits, WindowKeepsTheLastMaxSeqLengthItemsOfAPrefix) {
  SequenceCorpus corpus;
  corpus.append(0, Items{1, 2, 3, 4, 5, 6, 7, 8});
  const SequenceSplits splits = split_sequences(corpus);
  const auto window = example_window(corpus, splits.test, 0, 3);
  EXPECT_EQ(Items(window.begin(), window.end()), (Items{5, 6, 7}));
  const auto whole = example_window(corpus, splits.valid, 0, 50);
  EXPECT_EQ(Items(whole.begin(), whole.end()), (Items{1, 2, 3, 4, 5, 6}));
}

TEST(SequenceSplits, KeepsRepeatedItemsAsTheyAre) {
  SequenceCorpus corpus;
  corpus.append(2, Items{3, 3, 7, 3, 3});
  const SequenceSplits splits = split_sequences(corpus);
  EXPECT_EQ(splits.test.targets, (std::vector<std::int32_t>{3}));
  EXPECT_EQ(splits.valid.targets, (std::vector<std::int32_t>{3}));
  EXPECT_EQ(splits.train.targets, (std::vector<std::int32_t>{7, 3}));
  EXPECT_EQ(splits.train.prefix_lengths, (std::vector<std::int32_t>{2, 1}));
}

TEST(SequenceSplits, RejectsUsersWithFewerThanThreeItems) {
  SequenceCorpus corpus;
  corpus.append(0, Items{1, 2, 3});
  corpus.append(17, Items{4, 5});
  try {
    split_sequences(corpus);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_NE(error.message().find("user 17 (sequence 1) has 2 item(s)"), std::string::npos)
        << error.message();
    EXPECT_NE(error.message().find("at least 3"), std::string::npos) << error.message();
  }
}

// --- Real data: GCL4SR's Home files --------------------------------------------------------------

const std::string kHomeDir = std::string(RSDIST_SOURCE_DIR) + "/../shared/data/gcl4sr_home";

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One line per example: "user target window_length i1,i2,...", the prefix cut to its last
// `max_seq_length` items. The pickle checker reads this.
std::string dump_examples(const SequenceCorpus& corpus, const PrefixExamples& examples,
                          std::size_t max_seq_length) {
  std::string out;
  for (std::size_t e = 0; e < examples.size(); ++e) {
    const auto window = example_window(corpus, examples, e, max_seq_length);
    out += std::to_string(corpus.users[static_cast<std::size_t>(examples.rows[e])]);
    out += ' ';
    out += std::to_string(examples.targets[e]);
    out += ' ';
    out += std::to_string(window.size());
    char separator = ' ';
    for (std::int32_t item : window) {
      out += separator;
      out += std::to_string(item);
      separator = ',';
    }
    out += '\n';
  }
  return out;
}
TEST(SequenceSplitsRealData, AllTrainSeqEqualsTheReferenceFile) {
  if (!std::filesystem::exists(kHomeDir + "/home.txt")) GTEST_SKIP() << "shared data not present";
  const SequenceCorpus corpus = read_sequences(kHomeDir + "/home.txt");
  const SequenceSplits splits = split_sequences(corpus);
  EXPECT_EQ(format_sequences_gcl4sr(splits.all_train_sequences),
            read_text(kHomeDir + "/all_train_seq.txt"));
  EXPECT_EQ(splits.valid.size(), 66519u);
  EXPECT_EQ(splits.test.size(), 66519u);
  // 551,682 items - 3 per user (valid, test, and the first training item which has no prefix).
  EXPECT_EQ(splits.train.size(), 551682u - 3u * 66519u);
}

TEST(SequenceSplitsRealData, ValidAndTestEqualThePickles) {
  if (!std::filesystem::exists(kHomeDir + "/valid.pkl")) GTEST_SKIP() << "shared data not present";
  const std::string venv_python = std::string(RSDIST_SOURCE_DIR) + "/.venv/bin/python";
  const std::string python = std::filesystem::exists(venv_python) ? venv_python : "python3";
  if (std::system((python + " -c 'import pickle' >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "no Python interpreter to read the pickles";
  }
  const SequenceCorpus corpus = read_sequences(kHomeDir + "/home.txt");
  const SequenceSplits splits = split_sequences(corpus);
  rsdist::testing::TempDir dir;
  // The pickles hold each prefix cut to its last 50 items (GCL4SR's max_seq_length); rsdist
  // stores prefixes whole, so the comparison goes through the same window.
  constexpr std::size_t kReferenceMaxSeqLength = 50;
  const std::string valid_dump =
      dir.write("valid.txt", dump_examples(corpus, splits.valid, kReferenceMaxSeqLength));
  const std::string test_dump =
      dir.write("test.txt", dump_examples(corpus, splits.test, kReferenceMaxSeqLength));
  const std::string script =
      std::string(RSDIST_SOURCE_DIR) + "/tests/data/seq/check_splits_against_pickles.py";
  const std::string command = python + " '" + script + "' '" + kHomeDir + "/valid.pkl' '" +
                              valid_dump + "' '" + kHomeDir + "/test.pkl' '" + test_dump + "'";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

}  // namespace
}  // namespace rsdist::seq
