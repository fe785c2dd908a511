// Readers for MIND's news.tsv and behaviors.tsv. Each file is read once into memory and split into
// string_views, so the parsed tables point into `content` (keep the table alive while using them).
// Malformed lines stop with "file:line: what was expected, what was found"; with skip_bad_lines
// they are counted (and their first messages kept) instead.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "data/mind/text_file.hpp"

namespace rsdist::mind {

struct ReadOptions {
  bool skip_bad_lines = false;
};

struct NewsEntity {
  std::string_view wikidata_id;
  std::vector<std::int32_t> occurrence_offsets;  // code-point offsets into the title/abstract
};

struct NewsRow {
  std::int64_t line = 0;  // 1-based line number in the file
  std::string_view news_id, category, subcategory, title, abstract, url;
  std::vector<NewsEntity> title_entities;
  std::vector<NewsEntity> abstract_entities;
};

struct NewsTable {
  std::string path;
  std::string content;  // the file's bytes; every string_view above points in here, or into
  std::deque<std::string> entity_id_storage;  // ... these (ids that JSON had to unescape)
  std::vector<NewsRow> rows;
  SkipReport skipped;

  // Rows view into `content`: a copy would dangle, and a container of tables must move them (a
  // throwing move makes std::vector copy instead), hence no copies and noexcept moves.
  NewsTable() = default;
  NewsTable(const NewsTable&) = delete;
  NewsTable& operator=(const NewsTable&) = delete;
  NewsTable(NewsTable&&) noexcept = default;
  NewsTable& operator=(NewsTable&&) noexcept = default;
};

// news.tsv: 8 tab-separated columns (news id, category, subcategory, title, abstract, url, title
// entities JSON, abstract entities JSON); entity lists are JSON arrays of objects with a string
// "WikidataId" and an integer array "OccurrenceOffsets".
NewsTable read_news(const std::string& path, const ReadOptions& options = {});
NewsTable parse_news(std::string content, const std::string& path, const ReadOptions& options = {});

// One impression log line. History and impressions are ranges into the table's flat arrays.
struct BehaviorRow {
  std::int64_t line = 0;
  std::string_view impression_id, user_id, time;
  std::uint32_t history_begin = 0, history_end = 0;          // into BehaviorsTable::history_ids
  std::uint32_t impressions_begin = 0, impressions_end = 0;  // into impression_ids / labels
};

struct BehaviorsTable {
  std::string path;
  std::string content;
  std::vector<BehaviorRow> rows;
  std::vector<std::string_view> history_ids;
  std::vector<std::string_view> impression_ids;
  std::vector<std::int8_t> labels;  // 1 clicked, 0 not clicked, -1 unlabeled (test split)
  SkipReport skipped;

  // Views into `content`: no copies (they would dangle); moves keep the heap buffer.
  BehaviorsTable() = default;
  BehaviorsTable(const BehaviorsTable&) = delete;
  BehaviorsTable& operator=(const BehaviorsTable&) = delete;
  BehaviorsTable(BehaviorsTable&&) noexcept = default;
  BehaviorsTable& operator=(BehaviorsTable&&) noexcept = default;
};

// Where a chunk of a behaviors file starts (parse_behaviors advances it): the line number of its
// first line, and whether the file's impressions are labeled (decided by the first one: -1 not yet).
struct BehaviorsCursor {
  std::int64_t first_line = 1;
  int labeled = -1;
};

// behaviors.tsv: 5 tab-separated columns (impression id, user id, time, space-separated history
// (may be empty), space-separated impressions "N1-1 N2-0", or "N1 N2" without labels for test).
BehaviorsTable read_behaviors(const std::string& path, const ReadOptions& options = {});
// `content` is the whole file, or with `cursor` one chunk of whole lines of it.
BehaviorsTable parse_behaviors(std::string content, const std::string& path, const ReadOptions& options = {},
                               BehaviorsCursor* cursor = nullptr);

// Streams a behaviors file in chunks of about `chunk_bytes` whole lines (memory: one chunk), calling
// fn(const BehaviorsTable& chunk) for each in order; line numbers and skips are the whole file's.
// Returns the skip report of the whole file.
template <typename Fn>
SkipReport for_each_behaviors_chunk(const std::string& path, const ReadOptions& options,
                                    std::size_t chunk_bytes, Fn&& fn) {
  ChunkedLineReader reader(path, chunk_bytes);
  BehaviorsCursor cursor;
  SkipReport skipped;
  std::string chunk;
  while (reader.next(chunk)) {
    const BehaviorsTable table = parse_behaviors(std::move(chunk), path, options, &cursor);
    skipped.skipped_lines += table.skipped.skipped_lines;
    for (const auto& m : table.skipped.first_messages) {
      if (skipped.first_messages.size() < SkipReport::kMaxMessages) skipped.first_messages.push_back(m);
    }
    fn(table);
    chunk = std::string();
  }
  return skipped;
}

}  // namespace rsdist::mind
