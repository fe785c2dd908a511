// Regression inputs for the MIND parsers found with fuzz/mind_parsers_fuzz.cpp (scripts/fuzz.sh)
// or while writing it. Each input must end in a clean rsdist::Error (or a successful parse),
// never a crash, an escaping non-rsdist exception or a silently wrong value.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "data/mind/news_reader.hpp"
#include "data/mind/tokenizer.hpp"
#include "data/mind/vectors_reader.hpp"

namespace rsdist::mind {
namespace {

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& error) {
    return error.message();
  }
  ADD_FAILURE() << "no rsdist::Error";
  return "";
}

std::string news_line(std::string_view title_entities, std::string_view abstract_entities = "[]") {
  return "N1\tnews\tnewsus\tA title\t\thttps://example.com/N1\t" + std::string(title_entities) + "\t" +
         std::string(abstract_entities) + "\n";
}

// A 2 MB entity column of nested arrays: parse_entities() dumped the bad entity with
// nlohmann::json::dump(), which recurses once per level and overflowed the stack (SIGSEGV; ASan:
// stack-overflow in serializer::dump) instead of reporting the line.
TEST(MindFuzzRegressions, DeeplyNestedEntityJsonIsACleanError) {
  constexpr std::size_t kDepth = 1'000'000;
  const std::string nested = std::string(kDepth, '[') + std::string(kDepth, ']');
  const std::string message = error_of([&] { parse_news(news_line(nested), "news.tsv"); });
  EXPECT_NE(message.find("news.tsv:1:"), std::string::npos) << message;

  // The same nesting inside OccurrenceOffsets (offset.dump()), and skipped with skip_bad_lines.
  const std::string in_offsets = R"([{"WikidataId": "Q1", "OccurrenceOffsets": [)" + nested + "]}]";
  const std::string content = news_line(in_offsets) + news_line("[]");
  EXPECT_NE(error_of([&] { parse_news(content, "news.tsv"); }).find("news.tsv:1:"), std::string::npos);
  const NewsTable table = parse_news(content, "news.tsv", ReadOptions{.skip_bad_lines = true});
  EXPECT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.skipped.skipped_lines, 1);
}

// Offsets are stored as int32 code-point offsets; larger JSON integers were cast and wrapped
// (4294967296 -> 0, 9223372036854775807 -> -1, 2147483648 -> INT32_MIN), so a negative offset got
// past the "non-negative" check (fuzzer, minimised: "N\t\t\t\t\t\t[{\"WikidataId\":\"\",\"OccurrenceOffsets\":\n// [4292685477]}]\t[]"). They must be rejected like negative ones.
TEST(MindFuzzRegressions, OccurrenceOffsetsBeyondInt32AreRejected) {
  for (const char* offset : {"2147483648", "4292685477", "4294967296", "9223372036854775807", "18446744073709551615"}) {
    const std::string entities = std::string(R"([{"WikidataId": "Q1", "OccurrenceOffsets": [)") + offset + "]}]";
    const std::string message = error_of([&] { parse_news(news_line(entities), "news.tsv"); });
    EXPECT_NE(message.find("OccurrenceOffsets"), std::string::npos) << offset << ": " << message;
  }
  // The largest int32 is still a valid offset.
  const NewsTable table =
      parse_news(news_line(R"([{"WikidataId": "Q1", "OccurrenceOffsets": [2147483647]}])"), "news.tsv");
  ASSERT_EQ(table.rows.size(), 1u);
  ASSERT_EQ(table.rows[0].title_entities.size(), 1u);
  EXPECT_EQ(table.rows[0].title_entities[0].occurrence_offsets.at(0), 2147483647);
}

TEST(MindFuzzRegressions, TruncatedEntityJsonIsACleanError) {
  for (const char* json : {"[", R"([{"WikidataId": "Q1", "Occurre)", R"([{"WikidataId": "Q1\u00)", "[1.5e",
                           "\"[]", "{}", R"([{"WikidataId": 7, "OccurrenceOffsets": []}])",
                           R"([{"WikidataId": "Q1", "OccurrenceOffsets": [1.5]}])"}) {
    const std::string message = error_of([&] { parse_news(news_line(json), "news.tsv"); });
    EXPECT_NE(message.find("news.tsv:1: expected"), std::string::npos) << json << ": " << message;
    const NewsTable skipped =
        parse_news(news_line(json) + news_line("[]"), "news.tsv", ReadOptions{.skip_bad_lines = true});
    EXPECT_EQ(skipped.rows.size(), 1u) << json;
    EXPECT_EQ(skipped.skipped.skipped_lines, 1) << json;
  }
}

// Embedded NULs are valid UTF-8 and are kept; escaped ids that do not appear verbatim in the file
// are stored in the table (and survive moving it).
TEST(MindFuzzRegressions, EmbeddedNulAndEscapedIdsParse) {
  std::string content = std::string("N\0001\ta\tb\tti\0tle\t\tu\t", 18) +
                        R"([{"WikidataId": "Q\u00e9\"x", "OccurrenceOffsets": [0, 3]}])" + "\t[]\r\n";
  NewsTable parsed = parse_news(content, "news.tsv");
  const NewsTable table = std::move(parsed);
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.rows[0].news_id, std::string_view("N\0001", 3));
  EXPECT_EQ(table.rows[0].title, std::string_view("ti\0tle", 6));
  ASSERT_EQ(table.rows[0].title_entities.size(), 1u);
  EXPECT_EQ(table.rows[0].title_entities[0].wikidata_id, "Q\xc3\xa9\"x");
  EXPECT_EQ(table.rows[0].title_entities[0].occurrence_offsets, (std::vector<std::int32_t>{0, 3}));
}

TEST(MindFuzzRegressions, InvalidUtf8InIdsIsACleanError) {
  EXPECT_NE(error_of([] { parse_news(news_line("[]").replace(0, 2, "N\xff"), "news.tsv"); }).find("0xFF"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_behaviors("1\tU\xc3\x28\tt\t\tN1-1\n", "behaviors.tsv"); }).find("0xC3"),
            std::string::npos);
  // Surrogates and code points above U+10FFFF in an entity id (escaped or raw).
  EXPECT_NE(error_of([] {
              parse_news(news_line(R"([{"WikidataId": "Q)" + std::string("\xed\xa0\x80") +
                                   R"(", "OccurrenceOffsets": []}])"),
                         "news.tsv");
            }).find("invalid byte"),
            std::string::npos);
  const auto visit = [](std::string_view, std::span<const float>) {};
  EXPECT_NE(error_of([&] { for_each_vector_in("Q\xf4\x90\x80\x80\t1\t2\t\n", "e.vec", VectorFormat::kMindVec, {}, visit); })
                .find("expected a UTF-8 word"),
            std::string::npos);
  VectorReadOptions skip_words;
  skip_words.skip_invalid_utf8_words = true;
  const auto summary = for_each_vector_in("\xc0\xaf 1 2\nok 3 4\n", "g.txt", VectorFormat::kGloveText, skip_words, visit);
  EXPECT_EQ(summary.vectors, 1);
  EXPECT_EQ(summary.invalid_utf8_words.skipped_lines, 1);
  EXPECT_NE(error_of([] { tokenize("ok \xe2\x82"); }).find("invalid UTF-8"), std::string::npos);
}

TEST(MindFuzzRegressions, MalformedImpressionsAreCleanErrors) {
  for (const char* impressions : {"N1-2", "-1", "N1-10", "N1-", "   ", "N1-1 N2"}) {
    const std::string line = std::string("1\tU1\tt\tN0\t") + impressions + "\n";
    const std::string message = error_of([&] { parse_behaviors(line, "behaviors.tsv"); });
    EXPECT_NE(message.find("behaviors.tsv:1: expected"), std::string::npos) << impressions << ": " << message;
  }
  const BehaviorsTable table = parse_behaviors("1\tU1\tt\t\tN1-1 N2-2\n2\tU2\tt\t  N3   N4 \tN5-0\n",
                                               "behaviors.tsv", ReadOptions{.skip_bad_lines = true});
  ASSERT_EQ(table.rows.size(), 1u);
  EXPECT_EQ(table.skipped.skipped_lines, 1);
  EXPECT_EQ(table.impression_ids.size(), 1u);
  EXPECT_EQ(table.history_ids.size(), 2u);
}

}  // namespace
}  // namespace rsdist::mind
