// Whole-file reading and line splitting shared by the MIND readers: one read, then string_views.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace rsdist::mind {

// The file's bytes; throws rsdist::Error naming the path when it cannot be read.
std::string read_whole_file(const std::string& path);

// Reads a file in chunks of whole lines: each next() gives about `chunk_bytes` bytes ending at a
// '\n' (or the end of the file); a line longer than that comes whole in a larger chunk.
class ChunkedLineReader {
 public:
  ChunkedLineReader(const std::string& path, std::size_t chunk_bytes);
  ~ChunkedLineReader();
  ChunkedLineReader(const ChunkedLineReader&) = delete;
  ChunkedLineReader& operator=(const ChunkedLineReader&) = delete;
  // Replaces `chunk` with the next chunk; false (and empty) at the end of the file.
  bool next(std::string& chunk);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::size_t chunk_bytes_;
  std::string carry_;  // the partial line after the previous chunk's last '\n'
  bool eof_ = false;
};

// Calls fn(line, line_number) for every line (1-based), without the '\n' and a trailing '\r'.
// A final line without '\n' is a line; the empty string after a final '\n' is not.
template <typename Fn>
void for_each_line(std::string_view content, Fn&& fn) {
  std::int64_t line_number = 0;
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line, ++line_number);
    pos = end + 1;
  }
}

// Splits on every `separator` (empty fields kept, like Python's str.split(sep)); returns the count.
std::size_t split_fields(std::string_view line, char separator, std::vector<std::string_view>& fields);

// Whether skip_bad_lines let a reader go past malformed lines: how many and the first messages.
struct SkipReport {
  std::int64_t skipped_lines = 0;
  std::vector<std::string> first_messages;  // at most kMaxMessages, each "file:line: ..."
  static constexpr std::size_t kMaxMessages = 20;
  void add(std::string message);
};

}  // namespace rsdist::mind
