// Output helpers shared by the synthetic-data generators: a buffered text file, number formatting
// that matches the real files, JSON string escaping, UTF-8 arithmetic and option range checks.
//
// Formatting goes through fmt (its own float algorithms, not the C library's), so the bytes written
// for a value are the same on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace rsdist::synth {

// Appends lines to an in-memory buffer and flushes it to disk in large blocks. Errors (cannot open,
// disk full) throw rsdist::Error naming the file. close() must be called to see write errors; the
// destructor only flushes silently.
class TextFile {
 public:
  explicit TextFile(std::filesystem::path path);
  ~TextFile();
  TextFile(const TextFile&) = delete;
  TextFile& operator=(const TextFile&) = delete;

  // The buffer to append to; flushed by maybe_flush() once it is large.
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kFlushBytes) flush();
  }
  void close();

 private:
  static constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
  void flush();

  std::filesystem::path path_;
  std::ofstream stream_;
  std::string buffer_;
  bool closed_ = false;
};

// Appends an unsigned/signed integer in decimal.
void append_int(std::string& out, std::int64_t value);

// "%.6f", as in MIND's entity_embedding.vec ("-0.073467").
void append_fixed6(std::string& out, double value);

// "%.5g", as in the GloVe text files ("0.418", "-0.00066023", "-6.3681e-05").
void append_glove_float(std::string& out, double value);

// A JSON string literal the way Python's json.dumps writes it (ensure_ascii): quotes, backslashes
// and control characters escaped, every non-ASCII code point as \uXXXX (surrogate pairs above
// U+FFFF). `utf8` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view utf8);

// Number of code points in valid UTF-8 text (MIND's OccurrenceOffsets count code points, since they
// come from Python string indices).
std::size_t utf8_length(std::string_view utf8);

// Option validation: throws rsdist::Error "--<option> must be >= <lo> (got <value>)" (or <= hi).
// Options are named as on the rsdist command line.
void check_option_range(const char* option, std::int64_t value, std::int64_t lo, std::int64_t hi);

}  // namespace rsdist::synth
