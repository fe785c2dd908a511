#include "loader/mind/negative_sampling.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::loader {
namespace {

// Keeps negative sampling's streams apart from other users of the same seed.
constexpr std::uint64_t kNegativeSamplingStream = 0x4E454753414D50ull;  // "NEGSAMP"

// Writes out.size() distinct positions of [0, n) that `usable(position)` accepts, uniformly without
// replacement, in draw order. The caller guarantees more than out.size() usable positions, and draw
// j succeeds with probability (usable - j) / n: a short loop for the small K used (4 by default).
template <class Usable>
void draw_distinct(Rng& rng, std::uint64_t n, Usable&& usable, std::span<std::int64_t> out) {
  for (std::size_t j = 0; j < out.size(); ++j) {
    for (;;) {
      const auto k = static_cast<std::int64_t>(rng.uniform_below(n));
      if (usable(k) && std::find(out.begin(), out.begin() + j, k) == out.begin() + j) {
        out[j] = k;
        break;
      }
    }
  }
}

}  // namespace

NegativeSampler::NegativeSampler(std::int32_t negative_sample_num, std::uint64_t seed,
                                 std::vector<std::int32_t> fallback_news)
    : negative_sample_num_(negative_sample_num),
      seed_(seed),
      fallback_news_(std::move(fallback_news)) {
  // Sorted and distinct, so that excluding the click is a binary search.
  std::sort(fallback_news_.begin(), fallback_news_.end());
  fallback_news_.erase(std::unique(fallback_news_.begin(), fallback_news_.end()),
                       fallback_news_.end());
  RSDIST_CHECK(negative_sample_num >= 1, "negative_sample_num must be at least 1 (got {})",
               negative_sample_num);
}

void NegativeSampler::candidates(std::int64_t epoch, std::int64_t sample_id, std::int32_t positive,
                                 std::span<const std::int32_t> negatives,
                                 std::span<std::int64_t> out) const {
  const auto k = static_cast<std::size_t>(negative_sample_num_);
  RSDIST_CHECK(out.size() == k + 1, "negative sampling writes {} candidates, got room for {}",
               k + 1, out.size());
  out[0] = positive;
  // Positions are drawn into `drawn` and then replaced by the news at them.
  std::span<std::int64_t> drawn = out.subspan(1);

  if (!negatives.empty()) {
    const std::size_t n = negatives.size();
    if (n <= k) {
      for (std::size_t j = 0; j < k; ++j) drawn[j] = negatives[j % n];
      return;
    }
    Rng rng = Rng::stream(seed_, {kNegativeSamplingStream, static_cast<std::uint64_t>(epoch),
                                  static_cast<std::uint64_t>(sample_id)});
    draw_distinct(
        rng, n, [](std::int64_t) { return true; }, drawn);
    for (std::int64_t& d : drawn) d = negatives[static_cast<std::size_t>(d)];
    return;
  }

  // No non-clicked news: any train news but the click (see the header).
  const std::vector<std::int32_t>& pool = fallback_news_;
  const std::size_t usable_count =
      pool.size() - (std::binary_search(pool.begin(), pool.end(), positive) ? 1 : 0);
  RSDIST_CHECK(usable_count > 0,
               "train sample {} has no non-clicked news and the train split has no other news to "
               "draw negatives from",
               sample_id);
  if (usable_count <= k) {
    std::vector<std::int32_t> usable;
    for (std::int32_t news : pool) {
      if (news != positive) usable.push_back(news);
    }
    for (std::size_t j = 0; j < k; ++j) drawn[j] = usable[j % usable.size()];
    return;
  }
  Rng rng = Rng::stream(seed_, {kNegativeSamplingStream, static_cast<std::uint64_t>(epoch),
                                static_cast<std::uint64_t>(sample_id)});
  draw_distinct(
      rng, pool.size(),
      [&](std::int64_t p) { return pool[static_cast<std::size_t>(p)] != positive; }, drawn);
  for (std::int64_t& d : drawn) d = pool[static_cast<std::size_t>(d)];
}

}  // namespace rsdist::loader
