#include "data/mind/news_reader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <limits>

#include "core/error.hpp"
#include "data/mind/utf8.hpp"

namespace rsdist::mind {
namespace {

constexpr std::size_t kNewsColumns = 8;
constexpr std::size_t kBehaviorColumns = 5;

std::string shown(std::string_view text) {
  constexpr std::size_t kMax = 40;
  if (text.size() <= kMax) return fmt::format("'{}'", text);
  return fmt::format("'{}...'", text.substr(0, kMax));
}

// Reports a bad line: throws, or counts it when the caller skips bad lines.
void report(const std::string& path, std::int64_t line, const std::string& what, const ReadOptions& options,
            SkipReport& skipped) {
  std::string message = fmt::format("{}:{}: {}", path, line, what);
  if (!options.skip_bad_lines) throw Error(std::move(message), __FILE__, __LINE__);
  skipped.add(std::move(message));
}

std::string check_utf8(std::string_view line) {
  if (auto bad = find_invalid_utf8(line)) {
    return fmt::format("expected UTF-8 text, found invalid byte 0x{:02X} at byte {} of the line",
                       static_cast<unsigned char>(line[*bad]), *bad);
  }
  return {};
}

// What a JSON value looks like, for an error message. Containers are named, never dumped: dump()
// recurses once per nesting level, and a hostile line nested a million deep would overflow the
// stack (found by fuzz/mind_parsers_fuzz.cpp).
std::string describe(const nlohmann::json& value) {
  for (const auto& member : value) {  // one level: iterating a container does not recurse
    if (member.is_structured()) return std::string("a JSON ") + value.type_name() + " with nested values";
  }
  return shown(value.dump());
}

// Parses one entity list; returns an error description, empty on success.
std::string parse_entities(std::string_view json_text, const char* column, std::vector<NewsEntity>& out,
                           std::deque<std::string>& id_storage) {
  nlohmann::json parsed = nlohmann::json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (parsed.is_discarded()) {
    return fmt::format("expected a JSON array of entities in the {} column, found invalid JSON {}", column,
                       shown(json_text));
  }
  if (!parsed.is_array()) {
    return fmt::format("expected a JSON array of entities in the {} column, found {}", column, parsed.type_name());
  }
  for (const auto& entity : parsed) {
    const auto id = entity.is_object() ? entity.find("WikidataId") : entity.end();
    const auto offsets = entity.is_object() ? entity.find("OccurrenceOffsets") : entity.end();
    if (!entity.is_object() || id == entity.end() || !id->is_string() ||
        id->get_ref<const std::string&>().empty() || offsets == entity.end() ||
        !offsets->is_array()) {
      return fmt::format(
          "expected every {} entity to be an object with a non-empty string \"WikidataId\" and "
          "an array \"OccurrenceOffsets\", found {}",
          column, describe(entity));
    }
    NewsEntity parsed_entity;
    const auto& id_text = id->get_ref<const std::string&>();
    // Point into the file when the id appears there verbatim (always, for real MIND ids).
    const std::size_t at = json_text.find(id_text);
    if (at != std::string_view::npos && !id_text.empty()) {
      parsed_entity.wikidata_id = json_text.substr(at, id_text.size());
    } else {
      id_storage.push_back(id_text);
      parsed_entity.wikidata_id = id_storage.back();
    }
    for (const auto& offset : *offsets) {
      // Offsets are character positions in a title or abstract: 0 .. INT32_MAX. An unsigned
      // 64-bit value does not fit int64 either, so check the kind before reading it.
      const bool in_range = offset.is_number_unsigned()
                                ? offset.get<std::uint64_t>() <= std::numeric_limits<std::int32_t>::max()
                                : offset.is_number_integer() && offset.get<std::int64_t>() >= 0 &&
                                      offset.get<std::int64_t>() <= std::numeric_limits<std::int32_t>::max();
      if (!in_range) {
        return fmt::format("expected integer OccurrenceOffsets in [0, 2147483647] in the {} column, "
                           "found {}",
                           column, describe(offset));
      }
      parsed_entity.occurrence_offsets.push_back(static_cast<std::int32_t>(offset.get<std::int64_t>()));
    }
    out.push_back(std::move(parsed_entity));
  }
  return {};
}

}  // namespace

NewsTable parse_news(std::string content, const std::string& path, const ReadOptions& options) {
  NewsTable table;
  table.path = path;
  table.content = std::move(content);
  // Views into a string survive moving it only when its bytes are on the heap (not SSO).
  table.content.reserve(64);
  std::vector<std::string_view> fields;
  for_each_line(table.content, [&](std::string_view line, std::int64_t line_number) {
    if (auto bad = check_utf8(line); !bad.empty()) return report(path, line_number, bad, options, table.skipped);
    if (split_fields(line, '\t', fields) != kNewsColumns) {
      return report(path, line_number,
                    fmt::format("expected {} tab-separated columns (news id, category, subcategory, title, "
                                "abstract, url, title entities, abstract entities), found {}",
                                kNewsColumns, fields.size()),
                    options, table.skipped);
    }
    if (fields[0].empty()) return report(path, line_number, "expected a news id in column 1, found an empty field",
                                         options, table.skipped);
    NewsRow row;
    row.line = line_number;
    row.news_id = fields[0];
    row.category = fields[1];
    row.subcategory = fields[2];
    row.title = fields[3];
    row.abstract = fields[4];
    row.url = fields[5];
    std::string bad = parse_entities(fields[6], "title entities", row.title_entities, table.entity_id_storage);
    if (bad.empty()) bad = parse_entities(fields[7], "abstract entities", row.abstract_entities, table.entity_id_storage);
    if (!bad.empty()) return report(path, line_number, bad, options, table.skipped);
    table.rows.push_back(std::move(row));
  });
  return table;
}

NewsTable read_news(const std::string& path, const ReadOptions& options) {
  return parse_news(read_whole_file(path), path, options);
}

BehaviorsTable parse_behaviors(std::string content, const std::string& path, const ReadOptions& options,
                               BehaviorsCursor* cursor) {
  BehaviorsCursor whole_file;
  BehaviorsCursor& at = cursor ? *cursor : whole_file;
  const std::int64_t line_base = at.first_line - 1;
  std::int64_t lines = 0;
  BehaviorsTable table;
  table.path = path;
  table.content = std::move(content);
  table.content.reserve(64);  // keep the bytes on the heap so that the views survive a move
  std::vector<std::string_view> fields;
  std::vector<std::string_view> items;
  int& labeled = at.labeled;  // decided by the file's first impression: all labeled or none
  for_each_line(table.content, [&](std::string_view line, std::int64_t chunk_line) {
    lines = chunk_line;
    const std::int64_t line_number = line_base + chunk_line;
    if (auto bad = check_utf8(line); !bad.empty()) return report(path, line_number, bad, options, table.skipped);
    if (split_fields(line, '\t', fields) != kBehaviorColumns) {
      return report(path, line_number,
                    fmt::format("expected {} tab-separated columns (impression id, user id, time, history, "
                                "impressions), found {}",
                                kBehaviorColumns, fields.size()),
                    options, table.skipped);
    }
    BehaviorRow row;
    row.line = line_number;
    row.impression_id = fields[0];
    row.user_id = fields[1];
    row.time = fields[2];
    if (row.user_id.empty()) return report(path, line_number, "expected a user id in column 2, found an empty field",
                                           options, table.skipped);
    // Runs of spaces are tolerated (NNR would fail on the empty id they produce).
    const auto split_spaces = [&](std::string_view text) {
      items.clear();
      std::size_t pos = 0;
      while (pos < text.size()) {
        while (pos < text.size() && text[pos] == ' ') ++pos;
        const std::size_t end = std::min(text.find(' ', pos), text.size());
        if (end > pos) items.push_back(text.substr(pos, end - pos));
        pos = end;
      }
    };
    split_spaces(fields[4]);
    if (items.empty()) return report(path, line_number, "expected at least one impression in column 5, found none",
                                     options, table.skipped);
    const std::size_t impressions_before = table.impression_ids.size();
    for (std::string_view item : items) {
      const std::size_t dash = item.rfind('-');
      const int item_labeled = dash == std::string_view::npos ? 0 : 1;
      if (labeled == -1) labeled = item_labeled;
      std::string bad;
      if (item_labeled != labeled) {
        bad = fmt::format("expected {} impressions like the file's first one, found {}",
                          labeled ? "labeled (NEWS-0 / NEWS-1)" : "unlabeled (NEWS)", shown(item));
      } else if (labeled && (dash == 0 || item.substr(dash + 1).size() != 1 ||
                             (item[dash + 1] != '0' && item[dash + 1] != '1'))) {
        bad = fmt::format("expected an impression NEWS-0 or NEWS-1, found {}", shown(item));
      }
      if (!bad.empty()) {
        table.impression_ids.resize(impressions_before);
        table.labels.resize(impressions_before);
        return report(path, line_number, bad, options, table.skipped);
      }
      table.impression_ids.push_back(labeled ? item.substr(0, dash) : item);
      table.labels.push_back(labeled ? static_cast<std::int8_t>(item[dash + 1] - '0') : std::int8_t{-1});
    }
    row.impressions_begin = static_cast<std::uint32_t>(impressions_before);
    row.impressions_end = static_cast<std::uint32_t>(table.impression_ids.size());
    split_spaces(fields[3]);
    row.history_begin = static_cast<std::uint32_t>(table.history_ids.size());
    table.history_ids.insert(table.history_ids.end(), items.begin(), items.end());
    row.history_end = static_cast<std::uint32_t>(table.history_ids.size());
    table.rows.push_back(row);
  });
  at.first_line += lines;
  return table;
}

BehaviorsTable read_behaviors(const std::string& path, const ReadOptions& options) {
  return parse_behaviors(read_whole_file(path), path, options);
}

}  // namespace rsdist::mind
