#include "data/mind/utf8.hpp"

namespace rsdist::mind {

bool decode_utf8(std::string_view text, std::size_t& pos, char32_t& code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    code_point = lead;
    ++pos;
    return true;
  }
  std::size_t length = 0;
  char32_t value = 0;
  unsigned char low = 0x80;  // allowed range of the second byte (excludes overlongs/surrogates)
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return false;
  }
  if (pos + length > text.size()) return false;
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(pos + i);
    if (next < (i == 1 ? low : 0x80) || next > (i == 1 ? high : 0xBF)) return false;
    value = (value << 6) | (next & 0x3F);
  }
  code_point = value;
  pos += length;
  return true;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view text) {
  std::size_t pos = 0;
  char32_t ignored = 0;
  while (pos < text.size()) {
    // ASCII runs dominate real files: skip 8 bytes at a time while none has the high bit set.
    while (pos + 8 <= text.size()) {
      std::uint64_t chunk = 0;
      for (std::size_t i = 0; i < 8; ++i) chunk |= static_cast<std::uint64_t>(static_cast<unsigned char>(text[pos + i])) << (8 * i);
      if (chunk & 0x8080808080808080ull) break;
      pos += 8;
    }
    if (pos >= text.size()) break;
    if (!decode_utf8(text, pos, ignored)) return pos;
  }
  return std::nullopt;
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace rsdist::mind
