// libFuzzer target for the MIND readers: news.tsv (with its entity JSON columns), behaviors.tsv,
// GloVe text lines, MIND .vec lines and the tokenizer. Build and run it with scripts/fuzz.sh.
//
// The first input byte picks the parser (byte % 5, see Parser below); the rest is the content.
// Every input is parsed twice, with skip_bad_lines off and on. rsdist::Error is the expected answer
// to bad input and is swallowed; anything else that escapes (std::out_of_range, a nlohmann::json
// exception, ...) is a bug and aborts, as do the sanitizers' reports. Parsed tables are moved and
// every view they hold is read back, so that a view dangling after the move shows up under ASan.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "data/mind/news_reader.hpp"
#include "data/mind/tokenizer.hpp"
#include "data/mind/vectors_reader.hpp"

namespace {

using namespace rsdist::mind;

enum Parser : std::uint8_t { kNews = 0, kBehaviors = 1, kGlove = 2, kVec = 3, kTokenizer = 4, kParsers = 5 };

// Reads every byte of a view (ASan flags it if the view points into freed memory) and checks that
// it lies inside `owner` when one is given (views are documented to point into the table).
volatile std::size_t g_sink = 0;
void touch(std::string_view view) {
  std::size_t sum = 0;
  for (char c : view) sum += static_cast<unsigned char>(c);
  g_sink = g_sink + sum;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "mind_parsers_fuzz: invariant broken: %s\n", what);
  std::abort();
}

void check_inside(std::string_view view, const NewsTable& table) {
  const char* begin = table.content.data();
  const char* end = begin + table.content.size();
  if (view.empty()) return;
  if (view.data() >= begin && view.data() + view.size() <= end) return;
  for (const std::string& stored : table.entity_id_storage) {
    if (view.data() >= stored.data() && view.data() + view.size() <= stored.data() + stored.size()) return;
  }
  fail("a NewsTable view points outside the table's content and id storage");
}

void run_news(const std::string& content, bool skip) {
  NewsTable parsed = parse_news(content, "fuzz/news.tsv", ReadOptions{skip});
  NewsTable table = std::move(parsed);  // views must survive the move
  std::vector<NewsTable> tables;
  tables.push_back(std::move(table));
  tables.emplace_back();  // force a reallocation, moving the first table again
  const NewsTable& t = tables.front();
  for (const NewsRow& row : t.rows) {
    for (std::string_view v : {row.news_id, row.category, row.subcategory, row.title, row.abstract, row.url}) {
      touch(v);
      check_inside(v, t);
    }
    if (row.news_id.empty()) fail("a news row without an id");
    for (const auto* list : {&row.title_entities, &row.abstract_entities}) {
      for (const NewsEntity& e : *list) {
        touch(e.wikidata_id);
        check_inside(e.wikidata_id, t);
        for (std::int32_t offset : e.occurrence_offsets) {
          // Negative offsets are rejected by the reader; one that shows up here was wrapped from an
          // integer beyond int32 (see tests/data/mind/fuzz_regressions_test.cpp).
          if (offset < 0) fail("a negative OccurrenceOffset got through");
          g_sink = g_sink + static_cast<std::size_t>(offset);
        }
      }
    }
  }
  if (!skip && t.skipped.skipped_lines != 0) fail("lines skipped without skip_bad_lines");
  for (const std::string& m : t.skipped.first_messages) touch(m);
}

void run_behaviors(const std::string& content, bool skip) {
  BehaviorsTable parsed = parse_behaviors(content, "fuzz/behaviors.tsv", ReadOptions{skip});
  std::vector<BehaviorsTable> tables;
  tables.push_back(std::move(parsed));
  tables.emplace_back();
  const BehaviorsTable& t = tables.front();
  if (t.impression_ids.size() != t.labels.size()) fail("impression ids and labels differ in length");
  for (const BehaviorRow& row : t.rows) {
    touch(row.impression_id);
    touch(row.user_id);
    touch(row.time);
    if (row.history_begin > row.history_end || row.history_end > t.history_ids.size()) fail("history range");
    if (row.impressions_begin >= row.impressions_end || row.impressions_end > t.impression_ids.size()) {
      fail("impressions range");
    }
    for (std::uint32_t i = row.history_begin; i < row.history_end; ++i) touch(t.history_ids[i]);
    for (std::uint32_t i = row.impressions_begin; i < row.impressions_end; ++i) {
      touch(t.impression_ids[i]);
      if (t.labels[i] < -1 || t.labels[i] > 1) fail("label outside -1..1");
    }
  }
}

void run_vectors(const std::string& content, VectorFormat format, bool skip) {
  VectorReadOptions options;
  options.skip_bad_lines = skip;
  options.skip_invalid_utf8_words = skip;
  std::int64_t seen = 0;
  std::size_t dim = 0;
  const VectorReadSummary summary =
      for_each_vector_in(content, format == VectorFormat::kGloveText ? "fuzz/glove.txt" : "fuzz/entity.vec", format,
                         options, [&](std::string_view word, std::span<const float> values) {
                           touch(word);
                           if (seen == 0) dim = values.size();
                           if (values.size() != dim || values.empty()) fail("vectors of different dimensions");
                           for (float v : values) g_sink = g_sink + static_cast<std::size_t>(v == v);
                           ++seen;
                         });
  if (summary.vectors != seen) fail("summary.vectors differs from the visited count");
  if (seen > 0 && static_cast<std::size_t>(summary.dim) != dim) fail("summary.dim differs from the values seen");
}

void run_tokenizer(const std::string& content) {
  TokenizedText out;
  tokenize(content, out);  // throws rsdist::Error on invalid UTF-8
  for (std::size_t i = 0; i < out.size(); ++i) {
    const TokenSpan& span = out.tokens[i];
    if (span.byte_begin >= span.byte_end || span.byte_end > out.chars.size()) fail("token byte span");
    if (span.char_begin < 0 || span.char_begin >= span.char_end) fail("token char span");
    if (i > 0 && span.char_begin < out.tokens[i - 1].char_end) fail("tokens overlap");
    const std::string_view token = out.token(i);
    touch(token);
    g_sink = g_sink + static_cast<std::size_t>(is_number(token));
  }
  // The same text again through the reused buffers, and the allocating overload.
  tokenize(content, out);
  const std::vector<std::string> tokens = tokenize(content);
  if (tokens.size() != out.size()) fail("tokenize overloads disagree");
  touch(to_lower(content));
}

// Runs one parser; rsdist::Error is the expected way to reject input.
template <typename Fn>
void expect_clean(Fn&& fn) {
  try {
    fn();
  } catch (const rsdist::Error& error) {
    touch(error.what());
  } catch (const std::exception& error) {
    // Not an rsdist::Error: the parser let something through (nlohmann::json, std::out_of_range...).
    std::fprintf(stderr, "mind_parsers_fuzz: unexpected exception: %s\n", error.what());
    std::abort();
  } catch (...) {
    fail("unexpected exception of a non-std type");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto parser = static_cast<Parser>(data[0] % kParsers);
  const std::string content(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (bool skip : {false, true}) {
    switch (parser) {
      case kNews: expect_clean([&] { run_news(content, skip); }); break;
      case kBehaviors: expect_clean([&] { run_behaviors(content, skip); }); break;
      case kGlove: expect_clean([&] { run_vectors(content, VectorFormat::kGloveText, skip); }); break;
      case kVec: expect_clean([&] { run_vectors(content, VectorFormat::kMindVec, skip); }); break;
      case kTokenizer:
        if (!skip) expect_clean([&] { run_tokenizer(content); });
        break;
      default: break;
    }
  }
  return 0;
}
