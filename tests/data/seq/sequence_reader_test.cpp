#include "data/seq/sequence_reader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::seq {
namespace {

std::vector<std::int32_t> items_of(const SequenceCorpus& corpus, std::size_t i) {
  const auto s = corpus.sequence(i);
  return {s.begin(), s.end()};
}

// The message of the rsdist::Error that parsing `text` as file "seq.txt" throws.
std::string parse_error(const std::string& text, SequenceFormat format = SequenceFormat::kAuto) {
  try {
    parse_sequences(text, "seq.txt", format);
  } catch (const Error& error) {
    return error.message();
  }
  ADD_FAILURE() << "no error for input: " << text;
  return "";
}

TEST(SequenceReader, ParsesCommaSeparatedGcl4srLines) {
  const SequenceCorpus corpus = parse_sequences("0 1,2,3\n1 5,9\n7 4\n", "home.txt");
  EXPECT_EQ(corpus.users, (std::vector<std::int64_t>{0, 1, 7}));
  EXPECT_EQ(corpus.offsets, (std::vector<std::int64_t>{0, 3, 5, 6}));
  EXPECT_EQ(items_of(corpus, 0), (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(items_of(corpus, 1), (std::vector<std::int32_t>{5, 9}));
  EXPECT_EQ(items_of(corpus, 2), (std::vector<std::int32_t>{4}));
  EXPECT_EQ(corpus.max_item(), 9);
}

TEST(SequenceReader, ParsesSpaceSeparatedS3recLines) {
  const SequenceCorpus corpus = parse_sequences("1 1 2 3\n2  6\t7 8\n", "Beauty.txt");
  EXPECT_EQ(corpus.users, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(items_of(corpus, 0), (std::vector<std::int32_t>{1, 2, 3}));
  EXPECT_EQ(items_of(corpus, 1), (std::vector<std::int32_t>{6, 7, 8}));
}

TEST(SequenceReader, ToleratesCrlfTrailingBlanksAndMissingFinalNewline) {
  const SequenceCorpus corpus = parse_sequences("0 1,2 \r\n1 3,4", "x.txt");
  EXPECT_EQ(corpus.num_sequences(), 2u);
  EXPECT_EQ(items_of(corpus, 0), (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(items_of(corpus, 1), (std::vector<std::int32_t>{3, 4}));
}

TEST(SequenceReader, AutoDetectsFormatPerFile) {
  // A single-item first line is ambiguous; the comma on line 2 decides for the whole file.
  const SequenceCorpus comma = parse_sequences("0 5\n1 6,7\n", "a.txt");
  EXPECT_EQ(items_of(comma, 1), (std::vector<std::int32_t>{6, 7}));
  // With an explicit space format a comma is malformed.
  EXPECT_NE(parse_error("0 5\n1 6,7\n", SequenceFormat::kSpaceSeparated).find("seq.txt:2:"),
            std::string::npos);
  // With an explicit comma format, space-separated items are malformed.
  const std::string message = parse_error("0 5 6\n", SequenceFormat::kCommaSeparated);
  EXPECT_NE(message.find("seq.txt:1:"), std::string::npos) << message;
  EXPECT_NE(message.find("expected ','"), std::string::npos) << message;
}

TEST(SequenceReader, ReportsFileAndLineForEveryMalformedLine) {
  struct Case {
    std::string text;
    std::string location;
    std::string expected_words;
  };
  const std::vector<Case> cases = {
      {"0 1,2\n1\n", "seq.txt:2:", "empty sequence"},
      {"0 1,2\n1 \n", "seq.txt:2:", "empty sequence"},
      {"0 1,2\n\n1 3\n", "seq.txt:2:", "empty line"},
      {"0 1,2\nx 3,4\n", "seq.txt:2:", "user id"},
      {"-1 3,4\n", "seq.txt:1:", "user id"},
      {"0 1,2\n1 3,a\n", "seq.txt:2:", "integer item id"},
      {"0 1,2\n1 3,4.5\n", "seq.txt:2:", "expected ','"},
      {"0 1,2\n1 3,,4\n", "seq.txt:2:", "integer item id"},
      {"0 1,2\n1 3,4,\n", "seq.txt:2:", "trailing ','"},
      {"0 1,0,2\n", "seq.txt:1:", "padding"},
      {"0 1,2\n1 2,-3\n", "seq.txt:2:", "negative item id -3"},
      {"0 1,99999999999\n", "seq.txt:1:", "32 bits"},
      {"0 1,99999999999999999999999\n", "seq.txt:1:", "out of range"},
      {"0 1 2\n1 3 x\n", "seq.txt:2:", "integer item id"},
      {"0 1 2\n1 3 0\n", "seq.txt:2:", "padding"},
      {"0 1 2\n1 3x 4\n", "seq.txt:2:", "expected a space"},
      {"0\n", "seq.txt:1:", "empty sequence"},
      {"0:1,2\n", "seq.txt:1:", "expected a space after user id"},
  };
  for (const Case& c : cases) {
    const std::string message = parse_error(c.text);
    EXPECT_EQ(message.rfind(c.location, 0), 0u) << "input: " << c.text << "\nmessage: " << message;
    EXPECT_NE(message.find(c.expected_words), std::string::npos)
        << "input: " << c.text << "\nmessage: " << message;
  }
}

TEST(SequenceReader, RejectsAnEmptyFile) {
  EXPECT_NE(parse_error("").find("no sequences"), std::string::npos);
}

TEST(SequenceReader, ReadsFilesAndNamesThemInErrors) {
  rsdist::testing::TempDir dir;
  const std::string good = dir.write("good.txt", "3 10,11,12\n");
  const SequenceCorpus corpus = read_sequences(good);
  EXPECT_EQ(corpus.users, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(items_of(corpus, 0), (std::vector<std::int32_t>{10, 11, 12}));

  const std::string bad = dir.write("bad.txt", "3 10,11\n4 0\n");
  try {
    read_sequences(bad);
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.message().rfind(bad + ":2:", 0), 0u) << error.message();
  }
  EXPECT_THROW(read_sequences((dir / "missing.txt").string()), Error);
}

TEST(SequenceReader, ParsesFormatNames) {
  EXPECT_EQ(parse_sequence_format("gcl4sr"), SequenceFormat::kCommaSeparated);
  EXPECT_EQ(parse_sequence_format("s3rec"), SequenceFormat::kSpaceSeparated);
  EXPECT_EQ(parse_sequence_format("auto"), SequenceFormat::kAuto);
  EXPECT_THROW(parse_sequence_format("csv"), Error);
}

TEST(SequenceReader, FormatsGcl4srTextThatReadsBack) {
  const std::string text = "0 1,2,3\n5 7\n12 100000,4\n";
  const SequenceCorpus corpus = parse_sequences(text, "x.txt");
  EXPECT_EQ(format_sequences_gcl4sr(corpus), text);
  EXPECT_EQ(parse_sequences(format_sequences_gcl4sr(corpus), "y.txt"), corpus);
}

const std::string kSharedData = std::string(RSDIST_SOURCE_DIR) + "/../shared/data";

TEST(SequenceReaderRealData, ReadsHomeAndBeauty) {
  const std::string home = kSharedData + "/gcl4sr_home/home.txt";
  const std::string beauty = kSharedData + "/s3rec/Beauty.txt";
  if (!std::filesystem::exists(home) || !std::filesystem::exists(beauty)) {
    GTEST_SKIP() << "shared data not present";
  }
  const SequenceCorpus corpus = read_sequences(home);
  // Figures of the seed notebook: 66,519 users, num_items = max item + 1 = 28,238.
  EXPECT_EQ(corpus.num_sequences(), 66519u);
  EXPECT_EQ(corpus.max_item(), 28237);
  EXPECT_EQ(corpus.items.size(), 551682u);  // counted with Python over home.txt
  EXPECT_EQ(items_of(corpus, 1), (std::vector<std::int32_t>{5, 9, 10, 11, 12}));
  // Re-formatting reproduces the file byte for byte.
  std::ifstream in(home, std::ios::binary);
  std::stringstream original;
  original << in.rdbuf();
  EXPECT_EQ(format_sequences_gcl4sr(corpus), original.str());

  const SequenceCorpus s3rec = read_sequences(beauty);
  EXPECT_EQ(s3rec.num_sequences(), 22363u);
  EXPECT_EQ(s3rec.items.size(), 198502u);  // counted with Python over Beauty.txt
  EXPECT_EQ(s3rec.users.front(), 1);
  EXPECT_EQ(items_of(s3rec, 0), (std::vector<std::int32_t>{1, 2, 3, 4, 5}));
}

}  // namespace
}  // namespace rsdist::seq
