// Which examples of an evaluation split `rsdist recommend` serves: the named users', or the
// split's first ones. Shared by every split that names its users (SeqEvalSplit, RatingsEvalSplit).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace rsdist::loader {

// The examples of `users` (looked up in `example_of`; a name it lacks throws naming `source`), or
// examples 0 .. min(max_users, size) - 1 when `users` is empty.
inline std::vector<std::int64_t> select_examples(
    const std::vector<std::string>& users, std::int64_t max_users, std::int64_t size,
    const std::unordered_map<std::string, std::int64_t>& example_of, const std::string& source) {
  std::vector<std::int64_t> ids;
  for (std::int64_t e = 0; users.empty() && e < std::min(max_users, size); ++e) ids.push_back(e);
  for (const std::string& name : users) {
    const auto it = example_of.find(name);
    RSDIST_CHECK(it != example_of.end(), "--users: '{}' is no user of {}", name, source);
    ids.push_back(it->second);
  }
  return ids;
}

}  // namespace rsdist::loader
