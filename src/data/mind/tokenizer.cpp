#include "data/mind/tokenizer.hpp"

#include <algorithm>
#include <span>

#include "core/error.hpp"
#include "data/mind/unicode_tables.hpp"
#include "data/mind/utf8.hpp"

namespace rsdist::mind {
namespace {

namespace tables = unicode_tables;

bool in_ranges(std::span<const tables::CodeRange> ranges, char32_t c) {
  auto it = std::upper_bound(ranges.begin(), ranges.end(), static_cast<std::uint32_t>(c),
                             [](std::uint32_t value, const tables::CodeRange& r) { return value < r.first; });
  return it != ranges.begin() && c <= std::prev(it)->last;
}

char32_t lower_single(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  const auto runs = tables::lower();
  auto it = std::upper_bound(runs.begin(), runs.end(), static_cast<std::uint32_t>(c),
                             [](std::uint32_t value, const tables::LowerRun& r) { return value < r.first; });
  if (it == runs.begin()) return c;
  const auto& run = *std::prev(it);
  if (c > run.last || (c - run.first) % run.stride != 0) return c;
  return static_cast<char32_t>(static_cast<std::int64_t>(c) + run.delta);
}

bool is_cased(char32_t c) { return in_ranges(tables::cased(), c); }
bool is_case_ignorable(char32_t c) { return in_ranges(tables::case_ignorable(), c); }

// Python's final-sigma rule: capital sigma lowers to final sigma when preceded by a cased letter
// and not followed by one, skipping case-ignorable characters on both sides.
char32_t lower_sigma(const std::u32string& text, std::size_t i) {
  std::size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return 0x3C3;
  std::size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return (k == text.size() || !is_cased(text[k])) ? 0x3C2 : 0x3C3;
}

void decode_all(std::string_view text, std::u32string& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      out.push_back(byte);
      ++pos;
      continue;
    }
    char32_t c = 0;
    if (!decode_utf8(text, pos, c)) RSDIST_THROW("invalid UTF-8 at byte {} (0x{:02X})", pos, byte);
    out.push_back(c);
  }
}

void lower_all(const std::u32string& text, std::u32string& lowered, std::vector<std::int32_t>& origin) {
  lowered.clear();
  origin.clear();
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    const auto at = static_cast<std::int32_t>(i);
    if (c == 0x130) {  // LATIN CAPITAL LETTER I WITH DOT ABOVE: "i" + COMBINING DOT ABOVE
      lowered.push_back(U'i');
      lowered.push_back(0x307);
      origin.push_back(at);
      origin.push_back(at);
      continue;
    }
    lowered.push_back(c == 0x3A3 ? lower_sigma(text, i) : lower_single(c));
    origin.push_back(at);
  }
}

bool is_punctuation(char32_t c) {
  return c == '.' || c == ',' || c == '!' || c == '?' || c == ';' || c == '|';
}

}  // namespace

bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  return in_ranges(tables::word(), c);
}

void tokenize(std::string_view utf8_text, TokenizedText& out) {
  out.chars.clear();
  out.tokens.clear();
  decode_all(utf8_text, out.scratch_code_points);
  lower_all(out.scratch_code_points, out.scratch_lowered, out.scratch_origin);
  const auto& lowered = out.scratch_lowered;
  const auto& origin = out.scratch_origin;
  std::size_t i = 0;
  while (i < lowered.size()) {
    std::size_t end = i;
    if (is_word_char(lowered[i])) {
      while (end < lowered.size() && is_word_char(lowered[end])) ++end;
    } else if (is_punctuation(lowered[i])) {
      end = i + 1;
    } else {
      ++i;
      continue;
    }
    TokenSpan span;
    span.byte_begin = static_cast<std::uint32_t>(out.chars.size());
    for (std::size_t k = i; k < end; ++k) append_utf8(lowered[k], out.chars);
    span.byte_end = static_cast<std::uint32_t>(out.chars.size());
    span.char_begin = origin[i];
    span.char_end = origin[end - 1] + 1;
    out.tokens.push_back(span);
    i = end;
  }
}

std::vector<std::string> tokenize(std::string_view utf8_text) {
  TokenizedText tokenized;
  tokenize(utf8_text, tokenized);
  std::vector<std::string> tokens;
  tokens.reserve(tokenized.size());
  for (std::size_t i = 0; i < tokenized.size(); ++i) tokens.emplace_back(tokenized.token(i));
  return tokens;
}

std::string to_lower(std::string_view utf8_text) {
  std::u32string code_points;
  std::u32string lowered;
  std::vector<std::int32_t> origin;
  decode_all(utf8_text, code_points);
  lower_all(code_points, lowered, origin);
  std::string out;
  for (char32_t c : lowered) append_utf8(c, out);
  return out;
}

bool is_number(std::string_view token) {
  // Map every decimal digit of any script to ASCII, as float() does, and keep ASCII as it is.
  std::string ascii;
  std::size_t pos = 0;
  while (pos < token.size()) {
    char32_t c = 0;
    if (!decode_utf8(token, pos, c)) return false;
    if (c < 0x80) {
      ascii.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c));
      continue;
    }
    const auto ranges = tables::decimal();
    auto it = std::upper_bound(ranges.begin(), ranges.end(), static_cast<std::uint32_t>(c),
                               [](std::uint32_t value, const tables::CodeRange& r) { return value < r.first; });
    if (it == ranges.begin() || c > std::prev(it)->last) return false;
    ascii.push_back(static_cast<char>('0' + (c - std::prev(it)->first) % 10));
  }
  if (ascii == "inf" || ascii == "infinity" || ascii == "nan") return true;
  // digitpart := digit ("_"? digit)*; number := digitpart ("e" digitpart)?
  std::size_t i = 0;
  const auto digit_part = [&]() {
    if (i >= ascii.size() || ascii[i] < '0' || ascii[i] > '9') return false;
    ++i;
    while (i < ascii.size()) {
      if (ascii[i] >= '0' && ascii[i] <= '9') {
        ++i;
      } else if (ascii[i] == '_' && i + 1 < ascii.size() && ascii[i + 1] >= '0' && ascii[i + 1] <= '9') {
        i += 2;
      } else {
        break;
      }
    }
    return true;
  };
  if (!digit_part()) return false;
  if (i < ascii.size() && ascii[i] == 'e') {
    ++i;
    if (!digit_part()) return false;
  }
  return i == ascii.size();
}

}  // namespace rsdist::mind
