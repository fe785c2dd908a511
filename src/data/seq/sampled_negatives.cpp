#include "data/seq/sampled_negatives.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::seq {

std::vector<std::int32_t> sample_user_negatives(const SequenceCorpus& sequences,
                                                std::int64_t per_user, std::uint64_t seed) {
  RSDIST_CHECK(per_user >= 0, "sampled negatives: {} per user; expected >= 0", per_user);
  const std::size_t users = sequences.num_sequences();
  std::vector<std::int32_t> out;
  if (per_user == 0) return out;
  // The pool: every item that occurs in the corpus (generate_test.py's item_count keys).
  std::vector<std::int32_t> pool(sequences.items.begin(), sequences.items.end());
  std::sort(pool.begin(), pool.end());
  pool.erase(std::unique(pool.begin(), pool.end()), pool.end());

  out.reserve(users * static_cast<std::size_t>(per_user));
  // mark[i] == r + 1: item i is one of row r's items or already drawn for it.
  std::vector<std::uint64_t> mark(static_cast<std::size_t>(sequences.max_item()) + 1, 0);
  for (std::size_t r = 0; r < users; ++r) {
    const std::uint64_t stamp = r + 1;
    std::int64_t own = 0;
    for (const std::int32_t item : sequences.sequence(r)) {
      own += mark[static_cast<std::size_t>(item)] != stamp;
      mark[static_cast<std::size_t>(item)] = stamp;
    }
    const auto eligible = static_cast<std::int64_t>(pool.size()) - own;
    RSDIST_CHECK(eligible >= per_user,
                 "user {} interacted with {} of the corpus's {} items, leaving {} to draw {} "
                 "sampled negatives from",
                 sequences.users[r], own, pool.size(), eligible, per_user);
    Rng rng = Rng::stream(seed, {static_cast<std::uint64_t>(r)});
    // Rejection sampling is fast while the user's items are a small share of the pool; a user
    // holding most of it falls back to drawing from the explicit list of eligible items.
    if (eligible * 2 >= static_cast<std::int64_t>(pool.size())) {
      for (std::int64_t k = 0; k < per_user;) {
        const std::int32_t item = pool[rng.uniform_below(pool.size())];
        if (mark[static_cast<std::size_t>(item)] == stamp) continue;
        mark[static_cast<std::size_t>(item)] = stamp;
        out.push_back(item);
        ++k;
      }
    } else {
      std::vector<std::int32_t> rest;
      for (const std::int32_t item : pool) {
        if (mark[static_cast<std::size_t>(item)] != stamp) rest.push_back(item);
      }
      for (std::int64_t k = 0; k < per_user; ++k) {  // partial Fisher-Yates
        const std::size_t j =
            static_cast<std::size_t>(k) + rng.uniform_below(rest.size() - static_cast<std::size_t>(k));
        std::swap(rest[static_cast<std::size_t>(k)], rest[j]);
        out.push_back(rest[static_cast<std::size_t>(k)]);
      }
    }
  }
  return out;
}

}  // namespace rsdist::seq
