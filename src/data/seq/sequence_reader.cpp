#include "data/seq/sequence_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>

#include "core/error.hpp"

namespace rsdist::seq {
namespace {

constexpr std::string_view kCommaShape = "'user item1,item2,...'";
constexpr std::string_view kSpaceShape = "'user item item ...'";

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// The offending text for an error message: up to the next separator, at most 24 characters.
std::string token_at(const char* p, const char* end) {
  const char* stop = p;
  while (stop < end && !is_blank(*stop) && *stop != ',' && stop - p < 24) ++stop;
  if (stop == p) return p < end ? fmt::format("'{}'", *p) : std::string("end of line");
  return fmt::format("'{}'", std::string_view(p, static_cast<std::size_t>(stop - p)));
}

// Parses one line (without its newline or trailing blanks) into `corpus`. `where` is "file:line".
void parse_line(const char* p, const char* end, bool comma_separated, const std::string& where,
                SequenceCorpus& corpus) {
  const std::string_view shape = comma_separated ? kCommaShape : kSpaceShape;
  RSDIST_CHECK(p < end, "{}: empty line; expected {}", where, shape);

  std::int64_t user = 0;
  auto [user_end, user_ec] = std::from_chars(p, end, user);
  RSDIST_CHECK(
      user_ec == std::errc() && user >= 0,
      "{}: expected a non-negative user id at the start of the line, found {}; expected {}", where,
      token_at(p, end), shape);
  p = user_end;
  RSDIST_CHECK(p == end || is_blank(*p),
               "{}: expected a space after user id {}, found {}; expected {}", where, user,
               token_at(p, end), shape);
  while (p < end && is_blank(*p)) ++p;
  RSDIST_CHECK(p < end, "{}: empty sequence for user {}; expected {}", where, user, shape);

  while (true) {
    std::int64_t item = 0;
    auto [item_end, item_ec] = std::from_chars(p, end, item);
    if (item_ec == std::errc::result_out_of_range) {
      RSDIST_THROW("{}: item id {} of user {} is out of range (items must fit in 32 bits)", where,
                   token_at(p, end), user);
    }
    RSDIST_CHECK(item_ec == std::errc(), "{}: expected an integer item id for user {}, found {}",
                 where, user, token_at(p, end));
    RSDIST_CHECK(item != 0, "{}: item id 0 for user {} (0 is the padding id; items start at 1)",
                 where, user);
    RSDIST_CHECK(item > 0, "{}: negative item id {} for user {}; items are integers >= 1", where,
                 item, user);
    RSDIST_CHECK(item <= std::numeric_limits<std::int32_t>::max(),
                 "{}: item id {} of user {} does not fit in 32 bits", where, item, user);
    corpus.items.push_back(static_cast<std::int32_t>(item));
    p = item_end;
    if (p == end) break;
    if (comma_separated) {
      RSDIST_CHECK(*p == ',', "{}: expected ',' or end of line after item {} of user {}, found {}",
                   where, item, user, token_at(p, end));
      ++p;
      RSDIST_CHECK(p < end, "{}: expected an item id after the trailing ',' of user {}", where,
                   user);
    } else {
      RSDIST_CHECK(is_blank(*p),
                   "{}: expected a space or end of line after item {} of user {}, found {}", where,
                   item, user, token_at(p, end));
      while (p < end && is_blank(*p)) ++p;
    }
  }
  corpus.users.push_back(user);
  corpus.offsets.push_back(static_cast<std::int64_t>(corpus.items.size()));
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  RSDIST_CHECK(in.good(), "cannot open sequence file {}: {}", path, std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  RSDIST_CHECK(size >= 0, "cannot determine the size of sequence file {}", path);
  std::string text(static_cast<std::size_t>(size), '\0');
  in.seekg(0, std::ios::beg);
  in.read(text.data(), size);
  RSDIST_CHECK(in.gcount() == size, "short read from sequence file {} ({} of {} bytes)", path,
               in.gcount(), size);
  return text;
}

}  // namespace

void SequenceCorpus::append(std::int64_t user, std::span<const std::int32_t> sequence_items) {
  users.push_back(user);
  items.insert(items.end(), sequence_items.begin(), sequence_items.end());
  offsets.push_back(static_cast<std::int64_t>(items.size()));
}

std::int32_t SequenceCorpus::max_item() const {
  return items.empty() ? 0 : *std::max_element(items.begin(), items.end());
}

SequenceCorpus parse_sequences(std::string_view text, std::string_view source_name,
                               SequenceFormat format) {
  if (format == SequenceFormat::kAuto) {
    const bool has_comma = text.find(',') != std::string_view::npos;
    format = has_comma ? SequenceFormat::kCommaSeparated : SequenceFormat::kSpaceSeparated;
  }
  const bool comma_separated = format == SequenceFormat::kCommaSeparated;

  SequenceCorpus corpus;
  // ~3 characters per item in the real files; reserving avoids most regrowth on a 3 MB file.
  corpus.items.reserve(text.size() / 3);
  const char* p = text.data();
  const char* const text_end = p + text.size();
  std::int64_t line_number = 0;
  while (p < text_end) {
    ++line_number;
    const char* newline =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(text_end - p)));
    const char* line_end = newline != nullptr ? newline : text_end;
    // Python's str.strip() in the reference tolerates CRLF and trailing blanks; so do we.
    const char* content_end = line_end;
    while (content_end > p && (is_blank(content_end[-1]) || content_end[-1] == '\r')) {
      --content_end;
    }
    parse_line(p, content_end, comma_separated, fmt::format("{}:{}", source_name, line_number),
               corpus);
    p = newline != nullptr ? newline + 1 : text_end;
  }
  RSDIST_CHECK(!corpus.users.empty(), "{}: no sequences in the file", source_name);
  return corpus;
}

SequenceCorpus read_sequences(const std::string& path, SequenceFormat format) {
  return parse_sequences(read_whole_file(path), path, format);
}

SequenceFormat parse_sequence_format(std::string_view name) {
  if (name == "auto") return SequenceFormat::kAuto;
  if (name == "gcl4sr" || name == "comma") return SequenceFormat::kCommaSeparated;
  if (name == "s3rec" || name == "space") return SequenceFormat::kSpaceSeparated;
  RSDIST_THROW("unknown sequence format '{}'; expected auto, gcl4sr (comma) or s3rec (space)",
               name);
}

std::string format_sequences_gcl4sr(const SequenceCorpus& corpus) {
  std::string out;
  out.reserve(corpus.items.size() * 7);
  char digits[24];
  const auto append_number = [&](std::int64_t value) {
    const char* end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
    out.append(digits, static_cast<std::size_t>(end - digits));
  };
  for (std::size_t i = 0; i < corpus.num_sequences(); ++i) {
    append_number(corpus.users[i]);
    char separator = ' ';
    for (std::int32_t item : corpus.sequence(i)) {
      out.push_back(separator);
      append_number(item);
      separator = ',';
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace rsdist::seq
