#include "data/mind/text_file.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace rsdist::mind {

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  RSDIST_CHECK(in.good(), "cannot open {} for reading", path);
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::size_t>(in.tellg());
  in.seekg(0, std::ios::beg);
  std::string content(size, '\0');
  in.read(content.data(), static_cast<std::streamsize>(size));
  RSDIST_CHECK(in.good() || size == 0, "cannot read {} ({} bytes expected)", path, size);
  return content;
}

ChunkedLineReader::ChunkedLineReader(const std::string& path, std::size_t chunk_bytes)
    : path_(path),
      file_(std::fopen(path.c_str(), "rb")),
      chunk_bytes_(std::max<std::size_t>(chunk_bytes, 1)) {
  RSDIST_CHECK(file_ != nullptr, "cannot open {} for reading", path);
}

ChunkedLineReader::~ChunkedLineReader() {
  if (file_) std::fclose(file_);
}

bool ChunkedLineReader::next(std::string& chunk) {
  chunk = std::move(carry_);
  carry_.clear();
  while (!eof_) {
    const std::size_t before = chunk.size();
    chunk.resize(before + chunk_bytes_);
    const std::size_t got = std::fread(chunk.data() + before, 1, chunk_bytes_, file_);
    chunk.resize(before + got);
    if (got < chunk_bytes_) {
      RSDIST_CHECK(!std::ferror(file_), "cannot read {}", path_);
      eof_ = true;
      break;
    }
    // The carried part holds no '\n', so one found is in what was just read.
    const std::size_t last = chunk.rfind('\n');
    if (last != std::string::npos) {
      carry_.assign(chunk, last + 1, std::string::npos);
      chunk.resize(last + 1);
      return true;
    }
  }
  return !chunk.empty();
}

std::size_t split_fields(std::string_view line, char separator,
                         std::vector<std::string_view>& fields) {
  fields.clear();
  std::size_t pos = 0;
  while (true) {
    const std::size_t end = line.find(separator, pos);
    if (end == std::string_view::npos) {
      fields.push_back(line.substr(pos));
      break;
    }
    fields.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return fields.size();
}

void SkipReport::add(std::string message) {
  ++skipped_lines;
  if (first_messages.size() < kMaxMessages) first_messages.push_back(std::move(message));
}

}  // namespace rsdist::mind
