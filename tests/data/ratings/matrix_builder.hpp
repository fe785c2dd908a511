// Builds small interaction matrices for the ratings tests from rows in input order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/ratings/ratings_filters.hpp"

namespace rsdist::ratings::testing {

struct Row {
  std::int32_t user;
  std::int32_t item;
  float rating = 1.0F;
  std::int64_t timestamp = 0;
};

// Users 0..users-1 and items 0..items-1 named "u<k>"/"i<k>"; rows grouped by user in input order.
inline UserItemMatrix matrix_of(const std::vector<Row>& rows, std::int32_t users) {
  RawRatings raw;
  for (std::int32_t u = 0; u < users; ++u) raw.user_ids.push_back("u" + std::to_string(u));
  for (const Row& r : rows) {
    raw.users.push_back(r.user);
    raw.items.push_back(r.item);
    raw.ratings.push_back(r.rating);
    raw.timestamps.push_back(r.timestamp);
  }
  return group_by_user(raw);
}

inline std::vector<std::int32_t> items_of(const UserItemMatrix& m, std::int64_t user) {
  const auto span = m.items_of(user);
  return {span.begin(), span.end()};
}

}  // namespace rsdist::ratings::testing
