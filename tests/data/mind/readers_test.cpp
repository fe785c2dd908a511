#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "data/mind/news_reader.hpp"
#include "data/mind/vectors_reader.hpp"

namespace rsdist::mind {
namespace {

std::string shared_data(const std::string& relative) {
  return std::string(RSDIST_SOURCE_DIR) + "/../shared/data/" + relative;
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

// Counts below were taken with python3 over the same files (len(split('\t')), json.loads, wc -l).
TEST(MindNewsReader, ParsesEveryRealRow) {
  const auto path = shared_data("mind_rows/news.tsv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  const NewsTable table = read_news(path);
  ASSERT_EQ(table.rows.size(), 2000u);  // wc -l
  std::size_t entities = 0;
  std::size_t empty_abstracts = 0;
  for (const auto& row : table.rows) {
    entities += row.title_entities.size() + row.abstract_entities.size();
    empty_abstracts += row.abstract.empty() ? 1 : 0;
  }
  EXPECT_EQ(entities, 6063u);
  EXPECT_EQ(empty_abstracts, 99u);
  EXPECT_EQ(table.rows[0].news_id, "N34700");
  EXPECT_EQ(table.rows[0].category, "news");
  ASSERT_EQ(table.rows[0].title_entities.size(), 1u);
  EXPECT_EQ(table.rows[0].title_entities[0].wikidata_id, "Q165972");
  EXPECT_EQ(table.rows[0].title_entities[0].occurrence_offsets, std::vector<std::int32_t>{49});
}

TEST(MindBehaviorsReader, ParsesEveryRealRow) {
  const auto path = shared_data("mind_rows/behaviors.tsv");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  const BehaviorsTable table = read_behaviors(path);
  ASSERT_EQ(table.rows.size(), 5000u);
  EXPECT_EQ(table.impression_ids.size(), 189359u);
  EXPECT_EQ(table.history_ids.size(), 159802u);
  std::size_t empty_histories = 0;
  for (const auto& row : table.rows) empty_histories += row.history_begin == row.history_end ? 1 : 0;
  EXPECT_EQ(empty_histories, 107u);
  EXPECT_EQ(table.rows[0].user_id, "U81994");
  EXPECT_EQ(table.impression_ids[table.rows[0].impressions_begin], "N43266");
  EXPECT_EQ(table.labels[table.rows[0].impressions_begin], 0);
}

TEST(MindNewsReader, ReportsEveryMalformedCase) {
  const std::string ok = "N1\tc\ts\tTitle\tAbs\turl\t[]\t[]\n";
  EXPECT_EQ(error_of([] { parse_news("N1\tc\ts\n", "news.tsv"); }),
            "news.tsv:1: expected 8 tab-separated columns (news id, category, subcategory, title, abstract, url, "
            "title entities, abstract entities), found 3");
  EXPECT_EQ(error_of([&] { parse_news(ok + "N2\tc\ts\tT\tA\tu\t[{\"a\": \tx\n", "news.tsv"); }),
            "news.tsv:2: expected a JSON array of entities in the title entities column, found invalid JSON "
            "'[{\"a\": '");
  EXPECT_EQ(error_of([&] { parse_news("N2\tc\ts\tT\tA\tu\t[]\t{}\n", "news.tsv"); }),
            "news.tsv:1: expected a JSON array of entities in the abstract entities column, found object");
  EXPECT_EQ(error_of([&] { parse_news("N2\tc\ts\tT\tA\tu\t[{\"WikidataId\": 5}]\t[]\n", "news.tsv"); }),
            "news.tsv:1: expected every title entities entity to be an object with a non-empty string "
            "\"WikidataId\" and an array \"OccurrenceOffsets\", found '{\"WikidataId\":5}'");
  EXPECT_EQ(error_of([&] { parse_news("N2\tc\ts\tT\xE9\tA\tu\t[]\t[]\n", "news.tsv"); }),
            "news.tsv:1: expected UTF-8 text, found invalid byte 0xE9 at byte 8 of the line");
  EXPECT_EQ(error_of([&] { parse_news("\tc\ts\tT\tA\tu\t[]\t[]\n", "news.tsv"); }),
            "news.tsv:1: expected a news id in column 1, found an empty field");

  const NewsTable skipped = parse_news(ok + "bad line\n" + ok + "N3\tc\ts\tT\tA\tu\t[}\t[]", "news.tsv", {true});
  EXPECT_EQ(skipped.rows.size(), 2u);
  EXPECT_EQ(skipped.skipped.skipped_lines, 2);
  ASSERT_EQ(skipped.skipped.first_messages.size(), 2u);
  EXPECT_EQ(skipped.skipped.first_messages[0].substr(0, 11), "news.tsv:2:");
  EXPECT_EQ(skipped.skipped.first_messages[1].substr(0, 11), "news.tsv:4:");
}

TEST(MindBehaviorsReader, ParsesLabelsHistoriesAndTestImpressions) {
  const BehaviorsTable labeled = parse_behaviors("1\tU1\tt\t\tN1-1 N2-0\r\n2\tU2\tt\tN1  N3\tN4-0\n", "b.tsv");
  ASSERT_EQ(labeled.rows.size(), 2u);
  EXPECT_EQ(labeled.rows[0].history_end - labeled.rows[0].history_begin, 0u);
  EXPECT_EQ(labeled.history_ids, (std::vector<std::string_view>{"N1", "N3"}));
  EXPECT_EQ(labeled.impression_ids, (std::vector<std::string_view>{"N1", "N2", "N4"}));
  EXPECT_EQ(labeled.labels, (std::vector<std::int8_t>{1, 0, 0}));
  const BehaviorsTable test = parse_behaviors("1\tU1\tt\tN9\tN1 N2", "t.tsv");
  EXPECT_EQ(test.labels, (std::vector<std::int8_t>{-1, -1}));
}

TEST(MindBehaviorsReader, ReportsEveryMalformedCase) {
  EXPECT_EQ(error_of([] { parse_behaviors("1\tU1\tt\tN1\n", "b.tsv"); }),
            "b.tsv:1: expected 5 tab-separated columns (impression id, user id, time, history, impressions), "
            "found 4");
  EXPECT_EQ(error_of([] { parse_behaviors("1\tU1\tt\t\tN1-1 N2-2\n", "b.tsv"); }),
            "b.tsv:1: expected an impression NEWS-0 or NEWS-1, found 'N2-2'");
  EXPECT_EQ(error_of([] { parse_behaviors("1\tU1\tt\t\tN1-1\n2\tU1\tt\t\tN2\n", "b.tsv"); }),
            "b.tsv:2: expected labeled (NEWS-0 / NEWS-1) impressions like the file's first one, found 'N2'");
  EXPECT_EQ(error_of([] { parse_behaviors("1\tU1\tt\t\t \n", "b.tsv"); }),
            "b.tsv:1: expected at least one impression in column 5, found none");
  EXPECT_EQ(error_of([] { parse_behaviors("1\t\tt\t\tN1-0\n", "b.tsv"); }),
            "b.tsv:1: expected a user id in column 2, found an empty field");
  const BehaviorsTable skipped = parse_behaviors("1\tU1\tt\t\tN1-1 N2-x\n2\tU2\tt\t\tN3-0\n", "b.tsv", {true});
  ASSERT_EQ(skipped.rows.size(), 1u);
  EXPECT_EQ(skipped.rows[0].user_id, "U2");
  EXPECT_EQ(skipped.impression_ids, (std::vector<std::string_view>{"N3"}));  // no half-added line
  EXPECT_EQ(skipped.skipped.skipped_lines, 1);
}

TEST(MindVectorsReader, ReadsRealGloveRows) {
  const auto path = shared_data("glove_rows/glove.6B.50d.slice5403.javid202226.txt");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  const VectorTable table = read_vectors(path, VectorFormat::kGloveText);
  EXPECT_EQ(table.dim, 50);
  EXPECT_EQ(table.words.size(), 5403u);  // wc -l says 5402: the last line has no '\n'
  EXPECT_EQ(table.words[3658], "josé");
}

TEST(MindVectorsReader, ReportsTheCp1252LinesOfTheRealFile) {
  const auto path = shared_data("glove_rows/glove.6B.50d.top2446.PymatFlow_project2.txt");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent";
  EXPECT_EQ(error_of([&] { read_vectors(path, VectorFormat::kGloveText); }),
            path + ":218: expected a UTF-8 word, found invalid byte 0x96 at byte 0");
  VectorReadOptions options;
  options.skip_invalid_utf8_words = true;
  const VectorTable table = read_vectors(path, VectorFormat::kGloveText, options);
  EXPECT_EQ(table.words.size(), 2446u - 5u);
  EXPECT_EQ(table.summary.invalid_utf8_words.skipped_lines, 5);
  // Lines found with python3: the lines whose bytes do not decode as UTF-8.
  const std::vector<std::string> lines = {":218:", ":785:", ":1329:", ":1409:", ":1420:"};
  ASSERT_EQ(table.summary.invalid_utf8_words.first_messages.size(), lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_NE(table.summary.invalid_utf8_words.first_messages[i].find(path + lines[i]), std::string::npos);
  }
}

TEST(MindVectorsReader, ReportsBadDimensionsAndFloats) {
  const auto parse = [](std::string_view text, VectorFormat format, VectorReadOptions options = {}) {
    std::vector<std::string> words;
    auto summary = for_each_vector_in(text, "v.txt", format, options,
                                      [&](std::string_view word, std::span<const float>) { words.emplace_back(word); });
    return std::make_pair(words, summary);
  };
  EXPECT_EQ(error_of([&] { parse("a 1 2\nb 1\n", VectorFormat::kGloveText); }),
            "v.txt:2: expected a word and 2 values, found 1 values");
  EXPECT_EQ(error_of([&] { parse("a 1 2\nb 1 x2\n", VectorFormat::kGloveText); }),
            "v.txt:2: expected a number as value 2, found 'x2'");
  const auto [words, summary] = parse("400 2\na 1 2\nb 1 x\nc 3 4 \n", VectorFormat::kGloveText, {0, true, false});
  EXPECT_EQ(words, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(summary.header_lines, 1);
  EXPECT_EQ(summary.bad_lines.skipped_lines, 1);
  // MIND .vec: tab-separated with a trailing tab; blank lines are ignored.
  std::vector<float> values;
  const auto vec = for_each_vector_in("Q1\t0.5\t-1e-3\t\n\nQ2\t1\t2\t\n", "e.vec", VectorFormat::kMindVec, {},
                                      [&](std::string_view, std::span<const float> v) { values.insert(values.end(), v.begin(), v.end()); });
  EXPECT_EQ(vec.vectors, 2);
  EXPECT_EQ(values, (std::vector<float>{0.5f, -1e-3f, 1.0f, 2.0f}));
  EXPECT_EQ(error_of([&] { parse("Q1\t1\t2\t\nQ2\t1\t\n", VectorFormat::kMindVec); }),
            "v.txt:2: expected a word and 2 values, found 1 values");
}

TEST(ChunkedLineReader, GivesWholeLinesInChunksAndEveryByteOnce) {
  const std::string path = ::testing::TempDir() + "chunked_lines.txt";
  const std::string content = "a\nbb\n" + std::string(50, 'x') + "\nccc\nlast-without-newline";
  {
    std::ofstream(path, std::ios::binary) << content;
  }
  for (const std::size_t chunk_bytes : {1u, 3u, 8u, 1000u}) {
    ChunkedLineReader reader(path, chunk_bytes);
    std::string chunk, joined;
    int chunks = 0;
    while (reader.next(chunk)) {
      ++chunks;
      joined += chunk;
      // A chunk ends at a newline, except the file's last one.
      if (joined.size() < content.size()) {
        EXPECT_EQ(chunk.back(), '\n') << chunk_bytes;
      }
    }
    EXPECT_EQ(joined, content) << chunk_bytes;
    EXPECT_EQ(chunks, chunk_bytes >= 1000 ? 1 : chunk_bytes == 8 ? 4 : 5) << chunk_bytes;
    EXPECT_FALSE(reader.next(chunk));
    EXPECT_TRUE(chunk.empty());
  }
  std::remove(path.c_str());
  EXPECT_NE(error_of([] { ChunkedLineReader("/nonexistent/b.tsv", 10); }).find("/nonexistent/b.tsv"),
            std::string::npos);
}

TEST(MindBehaviorsReader, ChunksKeepTheFilesLineNumbersAndLabelMode) {
  const std::string path = ::testing::TempDir() + "chunked_behaviors.tsv";
  {
    std::ofstream(path, std::ios::binary) << "1\tU1\tt\t\tN1-1 N2-0\n2\tU2\tt\tN1\tN3-0\n"
                                             "3\tU3\tt\t\tN4\n";
  }
  std::vector<std::int64_t> lines;
  // Line 3 is unlabeled after labeled lines: the error must name line 3 although it is the first
  // line of its chunk.
  const std::string message = error_of([&] {
    for_each_behaviors_chunk(path, {}, 1, [&](const BehaviorsTable& t) {
      for (const auto& row : t.rows) lines.push_back(row.line);
    });
  });
  EXPECT_NE(message.find("chunked_behaviors.tsv:3: expected labeled"), std::string::npos) << message;
  EXPECT_EQ(lines, (std::vector<std::int64_t>{1, 2}));
  const SkipReport skipped = for_each_behaviors_chunk(path, {true}, 1, [](const BehaviorsTable&) {});
  EXPECT_EQ(skipped.skipped_lines, 1);
  ASSERT_EQ(skipped.first_messages.size(), 1u);
  EXPECT_NE(skipped.first_messages[0].find(":3:"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace rsdist::mind
