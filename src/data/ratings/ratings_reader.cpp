#include "data/ratings/ratings_reader.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <unordered_map>

#include "core/error.hpp"
#include "data/mind/text_file.hpp"

namespace rsdist::ratings {
namespace {

// Header names tried, in order, for a column not named by an option (MovieLens's first).
const std::vector<std::string_view> kUserNames = {"userId", "user_id", "user", "userid", "UserID"};
const std::vector<std::string_view> kItemNames = {"movieId",  "itemId",  "item_id", "item",
                                                  "movie_id", "MovieID", "itemid"};
const std::vector<std::string_view> kRatingNames = {"rating", "Rating", "score"};
const std::vector<std::string_view> kTimeNames = {"timestamp", "Timestamp", "time", "ts"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

void split(std::string_view line, std::string_view delimiter, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = line.find(delimiter, pos);
    if (end == std::string_view::npos) {
      out.push_back(trim(line.substr(pos)));
      return;
    }
    out.push_back(trim(line.substr(pos, end - pos)));
    pos = end + delimiter.size();
  }
}

bool parse_number(std::string_view field, double& value) {
  const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  return ec == std::errc() && end == field.data() + field.size() && std::isfinite(value);
}

bool is_index(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string printable_delimiter(std::string_view d) {
  return d == "\t" ? "tab" : fmt::format("'{}'", d);
}

// One column of a csv layout: the option's value (a name or an index), else a default.
int resolve_column(const std::optional<std::string>& option, std::string_view option_name,
                   const std::vector<std::string_view>& default_names, int default_index,
                   const std::vector<std::string_view>& first_fields, bool header,
                   std::string_view source) {
  const int fields = static_cast<int>(first_fields.size());
  if (option) {
    if (is_index(*option)) {
      const int index = std::stoi(*option);
      RSDIST_CHECK(index < fields,
                   "{}:1: --{} {} is out of range: the rows have {} fields (indices are 0-based)",
                   source, option_name, index, fields);
      return index;
    }
    RSDIST_CHECK(header,
                 "--{} '{}' names a column, but {} is read without a header (--header false); "
                 "give a 0-based index",
                 option_name, *option, source);
    const auto it = std::find(first_fields.begin(), first_fields.end(), *option);
    RSDIST_CHECK(it != first_fields.end(),
                 "{}:1: unknown column name '{}' (--{}); the header has: {}", source, *option,
                 option_name, fmt::join(first_fields, ", "));
    return static_cast<int>(it - first_fields.begin());
  }
  if (!header) return default_index < fields ? default_index : -1;
  for (const std::string_view name : default_names) {
    const auto it = std::find(first_fields.begin(), first_fields.end(), name);
    if (it != first_fields.end()) return static_cast<int>(it - first_fields.begin());
  }
  return -1;
}

// Assigns dense indices to id strings in order of first appearance.
class IdTable {
 public:
  std::int32_t intern(std::string_view id) {
    key_.assign(id);
    const auto [it, inserted] = index_.try_emplace(key_, static_cast<std::int32_t>(ids_.size()));
    if (inserted) {
      RSDIST_CHECK(ids_.size() < static_cast<std::size_t>(INT32_MAX), "more than 2^31 ids");
      ids_.push_back(key_);
    }
    return it->second;
  }
  std::vector<std::string> release() { return std::move(ids_); }

 private:
  std::string key_;
  std::unordered_map<std::string, std::int32_t> index_;
  std::vector<std::string> ids_;
};

std::string first_line_of(const std::string& path) {
  mind::ChunkedLineReader reader(path, 1 << 16);
  std::string chunk;
  reader.next(chunk);
  std::string_view line(chunk);
  line = line.substr(0, std::min(line.find('\n'), line.size()));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return std::string(line);
}

}  // namespace

RatingsFormat parse_ratings_format(std::string_view name) {
  if (name == "auto") return RatingsFormat::kAuto;
  if (name == "ml100k") return RatingsFormat::kMl100k;
  if (name == "ml1m") return RatingsFormat::kMl1m;
  if (name == "csv") return RatingsFormat::kCsv;
  RSDIST_THROW("--format '{}' is not a ratings format; expected auto, ml100k, ml1m or csv", name);
}

std::string_view ratings_format_name(RatingsFormat format) {
  switch (format) {
    case RatingsFormat::kAuto:
      return "auto";
    case RatingsFormat::kMl100k:
      return "ml100k";
    case RatingsFormat::kMl1m:
      return "ml1m";
    case RatingsFormat::kCsv:
      return "csv";
  }
  return "?";
}

RatingsLayout resolve_ratings_layout(const RatingsInputOptions& o, std::string_view source,
                                     std::string_view first_line) {
  RSDIST_CHECK(!trim(first_line).empty(), "{}:1: no ratings: the first line is empty", source);
  RatingsLayout layout;
  layout.format = o.format;
  if (layout.format == RatingsFormat::kAuto) {
    const std::string name = std::filesystem::path(std::string(source)).filename().string();
    if (name == "u.data") {
      layout.format = RatingsFormat::kMl100k;
    } else if (name.ends_with(".dat") || first_line.find("::") != std::string_view::npos) {
      layout.format = RatingsFormat::kMl1m;
    } else {
      layout.format = RatingsFormat::kCsv;
    }
  }
  if (layout.format != RatingsFormat::kCsv) {
    for (const auto& [option, name] :
         {std::pair{&o.user_column, "user_column"}, std::pair{&o.item_column, "item_column"},
          std::pair{&o.rating_column, "rating_column"}, std::pair{&o.time_column, "time_column"}}) {
      RSDIST_CHECK(!option->has_value(), "--{} applies to --format csv only ({} is read as {})",
                   name, source, ratings_format_name(layout.format));
    }
    layout.delimiter = layout.format == RatingsFormat::kMl100k ? "\t" : "::";
    layout.fields = 4;
    layout.rating_column = 2;
    layout.time_column = 3;
    return layout;
  }

  if (o.delimiter == "auto") {
    layout.delimiter = first_line.find("::") != std::string_view::npos   ? "::"
                       : first_line.find('\t') != std::string_view::npos ? "\t"
                                                                         : ",";
  } else {
    layout.delimiter = o.delimiter == "tab" || o.delimiter == "\\t" ? "\t" : o.delimiter;
    RSDIST_CHECK(!layout.delimiter.empty(), "--delimiter is empty; give a separator or auto");
  }
  std::vector<std::string_view> fields;
  split(first_line, layout.delimiter, fields);
  layout.fields = fields.size();
  RSDIST_CHECK(layout.fields >= 2, "{}:1: one field with delimiter {}; expected user{}item...",
               source, printable_delimiter(layout.delimiter), layout.delimiter);
  if (o.header == "auto") {
    double number = 0;
    layout.header = std::none_of(fields.begin(), fields.end(),
                                 [&](std::string_view f) { return parse_number(f, number); });
  } else {
    RSDIST_CHECK(o.header == "true" || o.header == "false",
                 "--header '{}': expected auto, true or false", o.header);
    layout.header = o.header == "true";
  }
  layout.user_column =
      resolve_column(o.user_column, "user_column", kUserNames, 0, fields, layout.header, source);
  layout.item_column =
      resolve_column(o.item_column, "item_column", kItemNames, 1, fields, layout.header, source);
  layout.rating_column = resolve_column(o.rating_column, "rating_column", kRatingNames, 2, fields,
                                        layout.header, source);
  layout.time_column =
      resolve_column(o.time_column, "time_column", kTimeNames, 3, fields, layout.header, source);
  RSDIST_CHECK(layout.user_column >= 0,
               "{}:1: no user column in the header ({}); name it with --user_column", source,
               fmt::join(fields, ", "));
  RSDIST_CHECK(layout.item_column >= 0,
               "{}:1: no item column in the header ({}); name it with --item_column", source,
               fmt::join(fields, ", "));
  std::vector<int> used = {layout.user_column, layout.item_column};
  if (layout.rating_column >= 0) used.push_back(layout.rating_column);
  if (layout.time_column >= 0) used.push_back(layout.time_column);
  std::sort(used.begin(), used.end());
  RSDIST_CHECK(std::adjacent_find(used.begin(), used.end()) == used.end(),
               "{}: two of --user_column/--item_column/--rating_column/--time_column are the same "
               "column (user {}, item {}, rating {}, time {})",
               source, layout.user_column, layout.item_column, layout.rating_column,
               layout.time_column);
  return layout;
}

RawRatings read_ratings(const RatingsInputOptions& options) {
  const std::string& path = options.path;
  RawRatings raw;
  raw.layout = resolve_ratings_layout(options, path, first_line_of(path));
  const RatingsLayout& layout = raw.layout;
  IdTable users;
  IdTable items;
  std::vector<std::string_view> fields;
  mind::ChunkedLineReader reader(path, options.chunk_bytes);
  std::string chunk;
  std::int64_t line_number = 0;
  while (reader.next(chunk)) {
    mind::for_each_line(chunk, [&](std::string_view line, std::int64_t) {
      ++line_number;
      if (line_number == 1 && layout.header) return;
      if (trim(line).empty()) {
        ++raw.blank_lines;
        return;
      }
      split(line, layout.delimiter, fields);
      RSDIST_CHECK(fields.size() == layout.fields,
                   "{}:{}: {} field(s) separated by {}, expected {} as in the first line", path,
                   line_number, fields.size(), printable_delimiter(layout.delimiter),
                   layout.fields);
      const std::string_view user = fields[static_cast<std::size_t>(layout.user_column)];
      const std::string_view item = fields[static_cast<std::size_t>(layout.item_column)];
      RSDIST_CHECK(!user.empty(), "{}:{}: empty user id (column {})", path, line_number,
                   layout.user_column);
      RSDIST_CHECK(!item.empty(), "{}:{}: empty item id (column {})", path, line_number,
                   layout.item_column);
      double rating = 1.0;
      if (layout.rating_column >= 0) {
        const std::string_view field = fields[static_cast<std::size_t>(layout.rating_column)];
        RSDIST_CHECK(parse_number(field, rating), "{}:{}: rating '{}' is not a number", path,
                     line_number, field);
      }
      std::int64_t timestamp = 0;
      if (layout.time_column >= 0) {
        const std::string_view field = fields[static_cast<std::size_t>(layout.time_column)];
        const auto [end, ec] =
            std::from_chars(field.data(), field.data() + field.size(), timestamp);
        RSDIST_CHECK(ec == std::errc() && end == field.data() + field.size() && !field.empty(),
                     "{}:{}: timestamp '{}' is not an integer", path, line_number, field);
      }
      raw.users.push_back(users.intern(user));
      raw.items.push_back(items.intern(item));
      raw.ratings.push_back(static_cast<float>(rating));
      raw.timestamps.push_back(timestamp);
    });
  }
  RSDIST_CHECK(raw.rows() > 0, "{}: no ratings in the file", path);
  raw.user_ids = users.release();
  raw.item_ids = items.release();
  return raw;
}

}  // namespace rsdist::ratings
