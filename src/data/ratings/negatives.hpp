// Sampled evaluation candidates of the NCF protocol: for each user, N items it never interacted
// with, drawn uniformly without replacement, once for validation and once for test, so that every
// model is ranked on the same 1 + N candidates. Unlike the official NCF code (which can draw a
// user's test item as a training negative, hexiangnan/neural_collaborative_filtering#64) the
// candidates exclude every item of the user in any part, so a positive is never a negative.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/ratings/user_item_matrix.hpp"

namespace rsdist::ratings {

struct NegativeCandidates {
  std::int64_t per_user = 0;        // N
  std::vector<std::int32_t> valid;  // [U * N], row-major; -1 rows: the user has no valid item
  std::vector<std::int32_t> test;   // [U * N]; -1 rows: no test item
};

// `parts` must hold "valid" and "test" (a loo split); each user's excluded items are its entries
// in all parts. Throws naming the user (its input id) and --negatives when a user that needs
// candidates has fewer than N items it never interacted with.
NegativeCandidates sample_negatives(const std::map<std::string, UserItemMatrix>& parts,
                                    std::int64_t num_items, std::int64_t per_user,
                                    std::uint64_t seed, const std::vector<std::string>& user_ids);

}  // namespace rsdist::ratings
