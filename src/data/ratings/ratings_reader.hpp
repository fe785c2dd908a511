// Reads explicit or implicit ratings, one interaction per line, from the MovieLens formats and from
// any delimited text file whose columns are named by options:
//   ml100k  u.data:       "user\titem\trating\ttimestamp", no header
//   ml1m    ratings.dat:  "user::item::rating::timestamp", no header (ML-1M and ML-10M)
//   csv     ratings.csv:  header "userId,movieId,rating,timestamp" (ml-latest, ML-20M), or any
//           CSV/TSV of user,item[,rating[,timestamp]] laid out by --delimiter, --header and
//           --user_column/--item_column/--rating_column/--time_column (names or 0-based indices)
// The file is read in chunks: memory holds the parsed interactions (20 bytes each) and the distinct
// id strings, never the text. Every malformed row is an rsdist::Error starting "file:line:".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rsdist::ratings {

enum class RatingsFormat { kAuto, kMl100k, kMl1m, kCsv };

// "auto", "ml100k", "ml1m", "csv" -> the enum; anything else throws naming --format.
RatingsFormat parse_ratings_format(std::string_view name);

struct RatingsInputOptions {
  std::string path;
  RatingsFormat format = RatingsFormat::kAuto;
  // csv only. delimiter: "auto" ("::" if the first line has it, else a tab if it has one, else
  // ','), "tab", or the literal separator. header: "auto" (a header iff no field of the first line
  // is a number), "true", "false".
  std::string delimiter = "auto";
  std::string header = "auto";
  // csv only: a column name (with a header) or a 0-based index; absent: see docs/corpus_ratings.md.
  std::optional<std::string> user_column, item_column, rating_column, time_column;
  std::size_t chunk_bytes = std::size_t{16} << 20;
};

// How the rows of one file are laid out, resolved from the options and its first line.
struct RatingsLayout {
  RatingsFormat format = RatingsFormat::kCsv;  // never kAuto once resolved
  std::string delimiter;
  bool header = false;
  std::size_t fields = 0;  // every row has exactly this many
  int user_column = 0;
  int item_column = 1;
  int rating_column = -1;  // -1: absent (every rating is 1)
  int time_column = -1;    // -1: absent (every timestamp is 0)
};

std::string_view ratings_format_name(RatingsFormat format);

// The interactions of a file in input order; user/item are indices into user_ids/item_ids, which
// hold the input's id strings in order of first appearance.
struct RawRatings {
  RatingsLayout layout;
  std::vector<std::int32_t> users;
  std::vector<std::int32_t> items;
  std::vector<float> ratings;
  std::vector<std::int64_t> timestamps;
  std::vector<std::string> user_ids;
  std::vector<std::string> item_ids;
  std::int64_t blank_lines = 0;  // empty lines, skipped

  std::int64_t rows() const { return static_cast<std::int64_t>(users.size()); }
};

// Resolves the layout of a file named `source` (for messages) whose first line is `first_line`.
RatingsLayout resolve_ratings_layout(const RatingsInputOptions& options, std::string_view source,
                                     std::string_view first_line);

RawRatings read_ratings(const RatingsInputOptions& options);

}  // namespace rsdist::ratings
