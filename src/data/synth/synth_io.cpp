#include "data/synth/synth_io.hpp"

#include <fmt/format.h>

#include <iterator>
#include <utility>

#include "core/error.hpp"

namespace rsdist::synth {

TextFile::TextFile(std::filesystem::path path) : path_(std::move(path)) {
  stream_.open(path_, std::ios::binary | std::ios::trunc);
  RSDIST_CHECK(stream_.is_open(),
               "cannot create {}: check that the directory exists and is writable", path_.string());
  buffer_.reserve(kFlushBytes + (kFlushBytes >> 2));
}

TextFile::~TextFile() {
  if (!closed_) {
    // Best effort only: a destructor may run during unwinding and must not throw.
    stream_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  }
}

void TextFile::flush() {
  stream_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  RSDIST_CHECK(stream_.good(), "cannot write {} (disk full?)", path_.string());
  buffer_.clear();
}

void TextFile::close() {
  if (closed_) return;
  flush();
  stream_.close();
  closed_ = true;
  RSDIST_CHECK(!stream_.fail(), "cannot write {} (disk full?)", path_.string());
}

void append_int(std::string& out, std::int64_t value) {
  fmt::format_to(std::back_inserter(out), "{}", value);
}

void append_fixed6(std::string& out, double value) {
  fmt::format_to(std::back_inserter(out), "{:.6f}", value);
}

void append_glove_float(std::string& out, double value) {
  fmt::format_to(std::back_inserter(out), "{:.5g}", value);
}

namespace {

// Decodes one code point starting at text[i] and advances i. The generators only ever produce valid
// UTF-8 (from literals and ASCII syllables), so malformed input is a programming error.
char32_t decode_utf8(std::string_view text, std::size_t& i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  int extra = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    cp = lead;
  } else if ((lead & 0xE0) == 0xC0) {
    cp = lead & 0x1F;
    extra = 1;
  } else if ((lead & 0xF0) == 0xE0) {
    cp = lead & 0x0F;
    extra = 2;
  } else if ((lead & 0xF8) == 0xF0) {
    cp = lead & 0x07;
    extra = 3;
  } else {
    RSDIST_THROW("internal error: invalid UTF-8 lead byte in synthetic text");
  }
  RSDIST_CHECK(i + static_cast<std::size_t>(extra) < text.size(),
               "internal error: truncated UTF-8 in synthetic text");
  ++i;
  for (int k = 0; k < extra; ++k, ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    RSDIST_CHECK((byte & 0xC0) == 0x80, "internal error: invalid UTF-8 continuation byte");
    cp = (cp << 6) | (byte & 0x3F);
  }
  return cp;
}

void append_u_escape(std::string& out, unsigned unit) {
  fmt::format_to(std::back_inserter(out), "\\u{:04x}", unit);
}

}  // namespace

void append_json_string(std::string& out, std::string_view utf8) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < utf8.size()) {
    const char32_t cp = decode_utf8(utf8, i);
    switch (cp) {
      case U'"':
        out += "\\\"";
        break;
      case U'\\':
        out += "\\\\";
        break;
      case U'\n':
        out += "\\n";
        break;
      case U'\r':
        out += "\\r";
        break;
      case U'\t':
        out += "\\t";
        break;
      case U'\b':
        out += "\\b";
        break;
      case U'\f':
        out += "\\f";
        break;
      default:
        if (cp < 0x20 || (cp > 0x7F && cp < 0x10000)) {
          append_u_escape(out, static_cast<unsigned>(cp));
        } else if (cp >= 0x10000) {
          const auto v = static_cast<unsigned>(cp) - 0x10000u;
          append_u_escape(out, 0xD800u + (v >> 10));
          append_u_escape(out, 0xDC00u + (v & 0x3FFu));
        } else {
          out.push_back(static_cast<char>(cp));
        }
    }
  }
  out.push_back('"');
}

std::size_t utf8_length(std::string_view utf8) {
  std::size_t count = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;  // every byte but continuations
  }
  return count;
}

void check_option_range(const char* option, std::int64_t value, std::int64_t lo, std::int64_t hi) {
  RSDIST_CHECK(value >= lo, "--{} must be >= {} (got {})", option, lo, value);
  RSDIST_CHECK(value <= hi, "--{} must be <= {} (got {})", option, hi, value);
}

}  // namespace rsdist::synth
