#include "data/ratings/negatives.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::ratings {
namespace {

enum NegativeStream : std::uint64_t { kValidNegatives = 401, kTestNegatives };

constexpr std::uint8_t kFree = 0, kPositive = 1, kDrawn = 2;

// Draws `count` distinct free items into `out`, in draw order. `mark` holds kPositive for the
// user's items on entry and again on return. Rejection sampling while at least half the items are
// free; otherwise a partial Fisher-Yates over the free items (both fixed by the stream).
void draw(std::vector<std::uint8_t>& mark, std::int64_t free_items, std::int64_t count, Rng rng,
          std::int32_t* out) {
  const auto items = static_cast<std::uint64_t>(mark.size());
  if (2 * count <= free_items) {
    for (std::int64_t k = 0; k < count;) {
      const auto item = rng.uniform_below(items);
      if (mark[item] != kFree) continue;
      mark[item] = kDrawn;
      out[k++] = static_cast<std::int32_t>(item);
    }
    for (std::int64_t k = 0; k < count; ++k) mark[static_cast<std::size_t>(out[k])] = kFree;
    return;
  }
  std::vector<std::int32_t> candidates;
  candidates.reserve(static_cast<std::size_t>(free_items));
  for (std::size_t item = 0; item < mark.size(); ++item) {
    if (mark[item] == kFree) candidates.push_back(static_cast<std::int32_t>(item));
  }
  for (std::int64_t k = 0; k < count; ++k) {
    const auto remaining = static_cast<std::uint64_t>(free_items - k);
    const auto pick = static_cast<std::size_t>(k) + rng.uniform_below(remaining);
    std::swap(candidates[static_cast<std::size_t>(k)], candidates[pick]);
    out[k] = candidates[static_cast<std::size_t>(k)];
  }
}

}  // namespace

NegativeCandidates sample_negatives(const std::map<std::string, UserItemMatrix>& parts,
                                    std::int64_t num_items, std::int64_t per_user,
                                    std::uint64_t seed, const std::vector<std::string>& user_ids) {
  RSDIST_CHECK(parts.contains("valid") && parts.contains("test"),
               "--negatives needs a split with valid and test parts (--split loo)");
  const UserItemMatrix& valid = parts.at("valid");
  const UserItemMatrix& test = parts.at("test");
  const std::int64_t users = valid.num_users();
  NegativeCandidates result;
  result.per_user = per_user;
  const auto size = static_cast<std::size_t>(users * per_user);
  result.valid.assign(size, -1);
  result.test.assign(size, -1);
  if (per_user == 0) return result;

  std::vector<std::uint8_t> mark(static_cast<std::size_t>(num_items), kFree);
  for (std::int64_t u = 0; u < users; ++u) {
    if (valid.size_of(u) == 0 && test.size_of(u) == 0) continue;
    std::int64_t positives = 0;
    for (const auto& [name, part] : parts) {
      for (const std::int32_t item : part.items_of(u)) {
        positives += mark[static_cast<std::size_t>(item)] == kFree ? 1 : 0;
        mark[static_cast<std::size_t>(item)] = kPositive;
      }
    }
    const std::int64_t free_items = num_items - positives;
    RSDIST_CHECK(free_items >= per_user,
                 "user '{}' interacted with {} of the {} items, leaving {} to draw --negatives {} "
                 "candidates from; lower --negatives (or filter with --min_item_interactions)",
                 user_ids[static_cast<std::size_t>(u)], positives, num_items, free_items, per_user);
    const auto user = static_cast<std::uint64_t>(u);
    const auto row = static_cast<std::size_t>(u * per_user);
    if (valid.size_of(u) > 0) {
      draw(mark, free_items, per_user, Rng::stream(seed, {kValidNegatives, user}),
           result.valid.data() + row);
    }
    if (test.size_of(u) > 0) {
      draw(mark, free_items, per_user, Rng::stream(seed, {kTestNegatives, user}),
           result.test.data() + row);
    }
    for (const auto& [name, part] : parts) {
      for (const std::int32_t item : part.items_of(u)) mark[static_cast<std::size_t>(item)] = kFree;
    }
  }
  return result;
}

}  // namespace rsdist::ratings
