#include "data/mind/vectors_reader.hpp"

#include <fmt/format.h>

#include <charconv>
#include <fstream>

#include "core/error.hpp"
#include "data/mind/utf8.hpp"

namespace rsdist::mind {
namespace {

constexpr std::size_t kBlockBytes = std::size_t{16} << 20;

std::string_view strip(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// Parses one line into the visitor; holds the per-file state (dimension, buffers, counts).
class LineParser {
 public:
  LineParser(std::string path, VectorFormat format, const VectorReadOptions& options, const VectorVisitor& visit)
      : format_(format), options_(options), visit_(visit) {
    summary_.path = std::move(path);
    summary_.dim = options.expected_dim;
  }

  void parse(std::string_view line, std::int64_t line_number) {
    // GloVe: torchtext rstrips the line and splits on single spaces; .vec: NNR strips and splits on tabs.
    line = format_ == VectorFormat::kGloveText ? rstrip(line) : strip(line);
    if (line.empty()) {
      if (format_ == VectorFormat::kMindVec) return;
      return bad(line_number, "expected a word followed by its vector, found an empty line");
    }
    const char separator = format_ == VectorFormat::kGloveText ? ' ' : '\t';
    split_fields(line, separator, fields_);
    const auto values = fields_.size() - 1;
    if (format_ == VectorFormat::kGloveText && line_number == 1 && values == 1 && summary_.dim != 1) {
      ++summary_.header_lines;  // "400000 300"
      return;
    }
    if (summary_.dim == 0) summary_.dim = static_cast<std::int32_t>(values);
    if (values != static_cast<std::size_t>(summary_.dim) || values == 0) {
      return bad(line_number, fmt::format("expected a word and {} values, found {} values", summary_.dim, values));
    }
    buffer_.resize(values);
    for (std::size_t i = 0; i < values; ++i) {
      const std::string_view text = fields_[i + 1];
      const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), buffer_[i]);
      if (error != std::errc() || end != text.data() + text.size()) {
        return bad(line_number, fmt::format("expected a number as value {}, found '{}'", i + 1, text));
      }
    }
    const std::string_view word = fields_[0];
    if (auto invalid = find_invalid_utf8(word)) {
      std::string message = fmt::format("{}:{}: expected a UTF-8 word, found invalid byte 0x{:02X} at byte {}",
                                        summary_.path, line_number, static_cast<unsigned char>(word[*invalid]), *invalid);
      if (!options_.skip_invalid_utf8_words) throw Error(std::move(message), __FILE__, __LINE__);
      summary_.invalid_utf8_words.add(std::move(message));
      return;
    }
    ++summary_.vectors;
    visit_(word, buffer_);
  }

  VectorReadSummary& summary() { return summary_; }

 private:
  static std::string_view rstrip(std::string_view text) {
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
    return text;
  }

  void bad(std::int64_t line_number, const std::string& what) {
    std::string message = fmt::format("{}:{}: {}", summary_.path, line_number, what);
    if (!options_.skip_bad_lines) throw Error(std::move(message), __FILE__, __LINE__);
    summary_.bad_lines.add(std::move(message));
  }

  VectorFormat format_;
  const VectorReadOptions& options_;
  const VectorVisitor& visit_;
  VectorReadSummary summary_;
  std::vector<std::string_view> fields_;
  std::vector<float> buffer_;
};

}  // namespace

VectorReadSummary for_each_vector_in(std::string_view content, const std::string& path, VectorFormat format,
                                     const VectorReadOptions& options, const VectorVisitor& visit) {
  LineParser parser(path, format, options, visit);
  for_each_line(content, [&](std::string_view line, std::int64_t number) { parser.parse(line, number); });
  return std::move(parser.summary());
}

VectorReadSummary for_each_vector(const std::string& path, VectorFormat format, const VectorReadOptions& options,
                                  const VectorVisitor& visit) {
  std::ifstream in(path, std::ios::binary);
  RSDIST_CHECK(in.good(), "cannot open {} for reading", path);
  LineParser parser(path, format, options, visit);
  std::string block;
  std::string carry;  // an incomplete last line of the previous block
  std::int64_t line_number = 0;
  while (true) {
    block.assign(carry);
    const std::size_t kept = block.size();
    block.resize(kept + kBlockBytes);
    in.read(block.data() + kept, static_cast<std::streamsize>(kBlockBytes));
    block.resize(kept + static_cast<std::size_t>(in.gcount()));
    const bool last = in.gcount() == 0 || in.eof();
    std::size_t end = last ? block.size() : block.rfind('\n');
    if (end == std::string::npos) end = 0;  // a line longer than a block: keep accumulating
    std::string_view complete(block.data(), end);
    for_each_line(complete, [&](std::string_view line, std::int64_t) { parser.parse(line, ++line_number); });
    if (last) break;
    carry.assign(block, end == 0 ? 0 : end + 1);
  }
  RSDIST_CHECK(!in.bad(), "cannot read {}", path);
  return std::move(parser.summary());
}

VectorTable read_vectors(const std::string& path, VectorFormat format, const VectorReadOptions& options) {
  VectorTable table;
  table.summary = for_each_vector(path, format, options, [&](std::string_view word, std::span<const float> values) {
    table.words.emplace_back(word);
    table.values.insert(table.values.end(), values.begin(), values.end());
  });
  table.dim = table.summary.dim;
  return table;
}

}  // namespace rsdist::mind
