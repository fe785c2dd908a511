// Strict UTF-8 decoding (as Python's 'utf-8' codec: no overlong forms, no surrogates, nothing above
// U+10FFFF). MIND and GloVe files are read as bytes; invalid input is reported with its byte
// offset instead of being dropped or replaced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rsdist::mind {

// Decodes the code point at text[pos]; on success advances pos and returns true.
bool decode_utf8(std::string_view text, std::size_t& pos, char32_t& code_point);

// Byte offset of the first invalid sequence, or nullopt when the whole text is valid UTF-8.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

void append_utf8(char32_t code_point, std::string& out);

}  // namespace rsdist::mind
