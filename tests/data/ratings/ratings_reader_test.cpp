// The ratings reader: each MovieLens format, generic CSV/TSV layouts, and every malformed-row class
// reported as file:line.
#include "data/ratings/ratings_reader.hpp"

#include <gtest/gtest.h>

#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::ratings {
namespace {
using rsdist::testing::error_of;
using rsdist::testing::TempDir;

RawRatings read(const std::string& path, RatingsFormat format = RatingsFormat::kAuto) {
  RatingsInputOptions o;
  o.path = path;
  o.format = format;
  return read_ratings(o);
}

TEST(RatingsReader, Ml100kIsTabSeparatedWithoutHeader) {
  TempDir tmp;
  const RawRatings r = read(
      tmp.write("u.data", "196\t242\t3\t881250949\n186\t302\t3.5\t891717742\n196\t302\t1\t5\n"));
  EXPECT_EQ(r.layout.format, RatingsFormat::kMl100k);
  EXPECT_EQ(r.user_ids, (std::vector<std::string>{"196", "186"}));
  EXPECT_EQ(r.item_ids, (std::vector<std::string>{"242", "302"}));
  EXPECT_EQ(r.users, (std::vector<std::int32_t>{0, 1, 0}));
  EXPECT_EQ(r.items, (std::vector<std::int32_t>{0, 1, 1}));
  EXPECT_EQ(r.ratings, (std::vector<float>{3.0F, 3.5F, 1.0F}));
  EXPECT_EQ(r.timestamps, (std::vector<std::int64_t>{881250949, 891717742, 5}));
}

TEST(RatingsReader, Ml1mUsesDoubleColonsAndCrlfIsTolerated) {
  TempDir tmp;
  const RawRatings r =
      read(tmp.write("ratings.dat", "1::1193::5::978300760\r\n1::661::3::978302109\r\n"));
  EXPECT_EQ(r.layout.format, RatingsFormat::kMl1m);
  EXPECT_EQ(r.layout.delimiter, "::");
  EXPECT_EQ(r.item_ids, (std::vector<std::string>{"1193", "661"}));
  EXPECT_EQ(r.timestamps, (std::vector<std::int64_t>{978300760, 978302109}));
}

TEST(RatingsReader, MovieLensCsvHasAHeaderNamingTheColumns) {
  TempDir tmp;
  const RawRatings r = read(
      tmp.write("ratings.csv",
                "userId,movieId,rating,timestamp\n1,307,3.5,1256677221\n1,481,3.5,1256677456\n"));
  EXPECT_EQ(r.layout.format, RatingsFormat::kCsv);
  EXPECT_TRUE(r.layout.header);
  EXPECT_EQ(r.rows(), 2);
  EXPECT_EQ(r.ratings, (std::vector<float>{3.5F, 3.5F}));
  EXPECT_EQ(r.item_ids, (std::vector<std::string>{"307", "481"}));
}

TEST(RatingsReader, GenericCsvColumnsByNameOrIndexAndOptionalRatingAndTime) {
  TempDir tmp;
  RatingsInputOptions o;
  o.path = tmp.write("clicks.tsv", "ts\titem\tuser\n10\tbook\talice\n11\tpen\tbob\n");
  o.format = RatingsFormat::kCsv;
  o.user_column = "user";
  o.item_column = "item";
  o.time_column = "ts";
  RawRatings r = read_ratings(o);
  EXPECT_EQ(r.layout.delimiter, "\t");
  EXPECT_EQ(r.layout.rating_column, -1);
  EXPECT_EQ(r.user_ids, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(r.ratings, (std::vector<float>{1.0F, 1.0F}));
  EXPECT_EQ(r.timestamps, (std::vector<std::int64_t>{10, 11}));

  o.path = tmp.write("plain.csv", "a;x\nb;y\na;y\n");
  o.delimiter = ";";
  o.header = "false";
  o.user_column = "1";
  o.item_column = "0";
  o.time_column.reset();
  r = read_ratings(o);
  EXPECT_EQ(r.user_ids, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r.items, (std::vector<std::int32_t>{0, 1, 0}));
  EXPECT_EQ(r.layout.time_column, -1);
}

TEST(RatingsReader, EveryMalformedRowClassNamesFileAndLine) {
  TempDir tmp;
  struct Case {
    const char* text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"1\t2\t3\t4\n1\t2\t3\n", ":2: 3 field(s) separated by tab, expected 4"},
      {"1\t2\t3\t4\n1\t2\tgood\t4\n", ":2: rating 'good' is not a number"},
      {"1\t2\t3\t4\n1\t2\t3\t4\n1\t2\t3\tyesterday\n",
       ":3: timestamp 'yesterday' is not an integer"},
      {"1\t2\t3\t4\n\t2\t3\t4\n", ":2: empty user id (column 0)"},
      {"1\t2\t3\t4\n1\t \t3\t4\n", ":2: empty item id (column 1)"},
      {"1\t2\t3\t4.5\n", ":1: timestamp '4.5' is not an integer"},
  };
  for (const Case& c : cases) {
    const std::string path = tmp.write("u.data", c.text);
    const std::string message = error_of([&] { read(path); });
    EXPECT_NE(message.find(path + c.expected), std::string::npos) << message;
  }
  RatingsInputOptions o;
  o.path = tmp.write("r.csv", "userId,movieId,rating\n1,2,3\n");
  o.rating_column = "stars";
  EXPECT_NE(error_of([&] { read_ratings(o); })
                .find(o.path + ":1: unknown column name 'stars' (--rating_column); the header has: "
                               "userId, movieId, rating"),
            std::string::npos);
}

TEST(RatingsReader, OptionsThatDoNotFitTheFormatAreNamed) {
  TempDir tmp;
  RatingsInputOptions o;
  o.path = tmp.write("u.data", "1\t2\t3\t4\n");
  o.user_column = "0";
  EXPECT_NE(error_of([&] { read_ratings(o); }).find("--user_column applies to --format csv only"),
            std::string::npos);
  o = {};
  o.path = tmp.write("plain.csv", "1,2,3\n");
  o.header = "false";
  o.user_column = "userId";
  EXPECT_NE(error_of([&] { read_ratings(o); }).find("--user_column 'userId' names a column"),
            std::string::npos);
  o.user_column = "7";
  EXPECT_NE(error_of([&] { read_ratings(o); }).find(":1: --user_column 7 is out of range"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_ratings_format("s3rec"); }).find("--format 's3rec'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read(tmp.write("empty.csv", "")); }).find("no ratings"),
            std::string::npos);
}

TEST(RatingsReader, SmallChunksGiveTheSameRowsAndLineNumbers) {
  TempDir tmp;
  std::string text;
  for (int i = 0; i < 500; ++i)
    text += fmt::format("{}\t{}\t{}\t{}\n", i % 17, i % 31, 1 + i % 5, i);
  const std::string path = tmp.write("u.data", text + "3\t4\tbad\t5\n");
  RatingsInputOptions o;
  o.path = path;
  o.chunk_bytes = 64;
  EXPECT_NE(error_of([&] { read_ratings(o); }).find(path + ":501: rating 'bad'"),
            std::string::npos);
  tmp.write("u.data", text);
  const RawRatings small = read_ratings(o);
  const RawRatings whole = read(path);
  EXPECT_EQ(small.users, whole.users);
  EXPECT_EQ(small.items, whole.items);
  EXPECT_EQ(small.timestamps, whole.timestamps);
  EXPECT_EQ(small.rows(), 500);
}

}  // namespace
}  // namespace rsdist::ratings
