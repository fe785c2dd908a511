// INI files as rsdist reads them: `[section]` headers, `key = value` lines, full-line comments
// starting with '#' or ';', and trailing comments after whitespace (`lr = 1e-4  # Adam`).
// Every entry remembers file:line so that later errors can point at it.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace rsdist {

struct IniEntry {
  std::string section;  // "" before the first header
  std::string key;
  std::string value;
  std::string file;
  int line = 0;

  std::string where() const;  // "file:line"
};

// Throws rsdist::Error with file:line on a syntax error or a key given twice.
std::vector<IniEntry> parse_ini(std::istream& in, const std::string& file_name);
std::vector<IniEntry> read_ini_file(const std::string& path);

}  // namespace rsdist
