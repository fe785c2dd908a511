// From the rows of a ratings file to the interactions a corpus keeps: grouped by user, duplicates
// removed, optionally made implicit, k-core filtered, ids renumbered densely. Each step works in
// place on a per-user CSR whose rows keep the input order (so "later in the file" stays "later in
// the row", which is how every tie below is broken).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/ratings/ratings_reader.hpp"
#include "data/ratings/user_item_matrix.hpp"

namespace rsdist::ratings {

// Rows grouped by raw user index (rows of a user in input order). Frees raw's arrays as it goes,
// so memory peaks at the rows plus one column.
UserItemMatrix group_by_user(RawRatings& raw);

// Keeps the entries with keep[e] != 0, in order (offsets updated).
void keep_entries(UserItemMatrix& matrix, const std::vector<std::uint8_t>& keep);

// Duplicate (user, item) entries: keeps the last by timestamp, ties going to the later row.
// Returns how many entries were dropped.
std::int64_t drop_duplicates(UserItemMatrix& matrix);

// Keeps entries rated >= threshold and sets their rating to 1. Returns how many were dropped.
std::int64_t apply_implicit_threshold(UserItemMatrix& matrix, float threshold);

struct KCoreResult {
  std::int64_t removed_interactions = 0;
  std::int64_t passes = 0;  // passes until one removed nothing (0 when the filter is off)
};

// Removes users with fewer than min_user and items with fewer than min_item interactions, again and
// again until every remaining user and item meets its minimum (the unique largest such subset).
// Values <= 1 disable a side. `num_items` bounds the item indices.
KCoreResult k_core(UserItemMatrix& matrix, std::int64_t num_items, std::int64_t min_user,
                   std::int64_t min_item);

// Renumbers users with interactions and items occurring anywhere densely (0..U-1, 0..I-1) in order
// of their first appearance in the input (= their raw index), dropping the others from the maps.
void compact_ids(UserItemMatrix& matrix, std::vector<std::string>& user_ids,
                 std::vector<std::string>& item_ids);

}  // namespace rsdist::ratings
