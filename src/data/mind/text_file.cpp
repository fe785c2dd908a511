#include "data/mind/text_file.hpp"

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

std::size_t split_fields(std::string_view line, char separator, std::vector<std::string_view>& fields) {
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
