#include "core/ini.hpp"

#include <fstream>
#include <istream>
#include <map>

#include "core/error.hpp"

namespace rsdist {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

// Cuts a trailing comment: '#' or ';' preceded by whitespace.
std::string strip_trailing_comment(const std::string& s) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    if ((s[i] == '#' || s[i] == ';') && (s[i - 1] == ' ' || s[i - 1] == '\t')) {
      return s.substr(0, i);
    }
  }
  return s;
}

bool is_valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string IniEntry::where() const { return fmt::format("{}:{}", file, line); }

std::vector<IniEntry> parse_ini(std::istream& in, const std::string& file_name) {
  std::vector<IniEntry> entries;
  std::map<std::string, int> first_line_of_key;
  std::string section;
  std::string raw;
  int line_number = 0;
  while (std::getline(in, raw)) {
    ++line_number;
    const std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      const std::string header = trim(strip_trailing_comment(line));
      RSDIST_CHECK(header.back() == ']', "{}:{}: malformed section header '{}': expected [name]",
                   file_name, line_number, line);
      section = trim(header.substr(1, header.size() - 2));
      RSDIST_CHECK(is_valid_name(section), "{}:{}: invalid section name '{}'", file_name,
                   line_number, section);
      continue;
    }
    const auto eq = line.find('=');
    RSDIST_CHECK(eq != std::string::npos, "{}:{}: expected 'key = value', found '{}'", file_name,
                 line_number, line);
    IniEntry entry;
    entry.section = section;
    entry.key = trim(line.substr(0, eq));
    entry.value = trim(strip_trailing_comment(line.substr(eq + 1)));
    entry.file = file_name;
    entry.line = line_number;
    RSDIST_CHECK(is_valid_name(entry.key), "{}:{}: invalid key '{}'", file_name, line_number,
                 entry.key);
    const auto [it, inserted] = first_line_of_key.emplace(entry.key, line_number);
    RSDIST_CHECK(inserted, "{}:{}: key '{}' is already set at line {}", file_name, line_number,
                 entry.key, it->second);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<IniEntry> read_ini_file(const std::string& path) {
  std::ifstream in(path);
  RSDIST_CHECK(in.good(), "cannot open config file '{}'", path);
  return parse_ini(in, path);
}

}  // namespace rsdist
