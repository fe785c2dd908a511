// A per-user CSR of interactions: the one shape every part of a ratings corpus has.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace rsdist::ratings {

// User u's interactions are entries [offsets[u], offsets[u+1]) of the three parallel arrays.
struct UserItemMatrix {
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> items;
  std::vector<float> ratings;
  std::vector<std::int64_t> timestamps;

  std::int64_t num_users() const { return static_cast<std::int64_t>(offsets.size()) - 1; }
  std::int64_t num_interactions() const { return offsets.back(); }
  std::int64_t size_of(std::int64_t user) const {
    return offsets[static_cast<std::size_t>(user) + 1] - offsets[static_cast<std::size_t>(user)];
  }
  std::span<const std::int32_t> items_of(std::int64_t user) const {
    return {items.data() + offsets[static_cast<std::size_t>(user)],
            static_cast<std::size_t>(size_of(user))};
  }
  std::span<const float> ratings_of(std::int64_t user) const {
    return {ratings.data() + offsets[static_cast<std::size_t>(user)],
            static_cast<std::size_t>(size_of(user))};
  }
  std::span<const std::int64_t> timestamps_of(std::int64_t user) const {
    return {timestamps.data() + offsets[static_cast<std::size_t>(user)],
            static_cast<std::size_t>(size_of(user))};
  }

  // The user of every entry, in entry order.
  std::vector<std::int32_t> entry_users() const {
    std::vector<std::int32_t> users(items.size());
    for (std::int64_t u = 0; u < num_users(); ++u) {
      std::fill(users.begin() + offsets[static_cast<std::size_t>(u)],
                users.begin() + offsets[static_cast<std::size_t>(u) + 1],
                static_cast<std::int32_t>(u));
    }
    return users;
  }

  // Appends entry `e` of `from` to the row being built; end_row() closes it.
  void push(const UserItemMatrix& from, std::int64_t e) {
    const auto i = static_cast<std::size_t>(e);
    items.push_back(from.items[i]);
    ratings.push_back(from.ratings[i]);
    timestamps.push_back(from.timestamps[i]);
  }
  void end_row() { offsets.push_back(static_cast<std::int64_t>(items.size())); }

  friend bool operator==(const UserItemMatrix&, const UserItemMatrix&) = default;
};

}  // namespace rsdist::ratings
