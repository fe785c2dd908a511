// The MIND tokenizer, as NNR's MIND_corpus.py: lower-case the text with Python's str.lower(), then
// take the matches of the regex [\w]+|[.,!?;|] with Python's Unicode \w (letters, digits of every
// script, underscore; combining marks are NOT \w in Python's re, so "e\u0301" gives "e").
// Character classes come from unicode_tables (generated from Python itself).
//
// Each token also carries its code-point span in the ORIGINAL text, so that MIND's entity
// OccurrenceOffsets (code-point offsets into the title/abstract) can be mapped onto tokens exactly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rsdist::mind {

struct TokenSpan {
  std::uint32_t byte_begin = 0;  // into TokenizedText::chars (the lower-cased token bytes)
  std::uint32_t byte_end = 0;
  std::int32_t char_begin = 0;  // code-point offsets into the original text, [begin, end)
  std::int32_t char_end = 0;
};

// Reusable output of tokenize(): keep one per thread and its buffers are reused across calls.
struct TokenizedText {
  std::string chars;
  std::vector<TokenSpan> tokens;
  std::u32string scratch_code_points;  // working buffers, kept only to avoid reallocation
  std::u32string scratch_lowered;
  std::vector<std::int32_t> scratch_origin;

  std::size_t size() const { return tokens.size(); }
  std::string_view token(std::size_t i) const {
    return std::string_view(chars).substr(tokens[i].byte_begin, tokens[i].byte_end - tokens[i].byte_begin);
  }
};

// Throws rsdist::Error "invalid UTF-8 at byte N (0xXX)" for malformed input.
void tokenize(std::string_view utf8_text, TokenizedText& out);
std::vector<std::string> tokenize(std::string_view utf8_text);

// Python's str.lower() of valid UTF-8 (including U+0130 -> "i\u0307" and the final-sigma rule).
std::string to_lower(std::string_view utf8_text);

// True when Python's float(token) would succeed, which is how NNR decides that a token counts as
// <NUM>: digits of any script (Unicode Nd) with single underscores between digits, an optional
// exponent "e<digits>", or "inf", "infinity", "nan" (any case). "²", "½", "1__0" are not numbers.
// (Signs and decimal points cannot occur inside a [\w]+ token, so they are not needed here.)
bool is_number(std::string_view token);

// Python re's \w for one code point.
bool is_word_char(char32_t c);

}  // namespace rsdist::mind
