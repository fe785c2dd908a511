// Reading what a training run wrote, for the training tests: metrics.jsonl records, and argument
// lists extended in place.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace rsdist::testing {

// One JSON value per line of `path` (metrics.jsonl).
inline std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::vector<nlohmann::json> records;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);) records.push_back(nlohmann::json::parse(line));
  return records;
}

// `args` followed by `extra`.
inline std::vector<std::string> with(std::vector<std::string> args,
                                     const std::vector<std::string>& extra) {
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// The last {...} of a command's log: the JSON that `rsdist evaluate` prints.
inline nlohmann::json last_json(const std::string& log) {
  return nlohmann::json::parse(log.substr(log.find('{'), log.rfind('}') - log.find('{') + 1));
}

}  // namespace rsdist::testing
