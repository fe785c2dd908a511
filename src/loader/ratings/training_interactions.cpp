#include "loader/ratings/training_interactions.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::loader {
namespace {
constexpr std::uint64_t kNegativeStream = 0x6e656773;  // "negs"
}  // namespace

TrainingInteractions::TrainingInteractions(const ratings::UserItemMatrix& train,
                                           std::int64_t num_items, std::int64_t negatives,
                                           std::uint64_t seed)
    : train_(train), num_items_(num_items), negatives_(negatives), seed_(seed) {
  RSDIST_CHECK(negatives >= 0, "negatives per positive must not be negative (got {})", negatives);
  RSDIST_CHECK(num_items >= 1, "a corpus without items has no training instances");
  user_of_ = train.entry_users();
  sorted_items_ = train.items;
  for (std::int64_t u = 0; u < train.num_users(); ++u) {
    const auto begin = static_cast<std::size_t>(train.offsets[static_cast<std::size_t>(u)]);
    const auto end = static_cast<std::size_t>(train.offsets[static_cast<std::size_t>(u) + 1]);
    std::sort(sorted_items_.begin() + static_cast<std::ptrdiff_t>(begin),
              sorted_items_.begin() + static_cast<std::ptrdiff_t>(end));
    const auto distinct = std::unique(sorted_items_.begin() + static_cast<std::ptrdiff_t>(begin),
                                      sorted_items_.begin() + static_cast<std::ptrdiff_t>(end)) -
                          (sorted_items_.begin() + static_cast<std::ptrdiff_t>(begin));
    RSDIST_CHECK(negatives == 0 || distinct < num_items,
                 "user {} has a training interaction with every one of the {} items: no negative "
                 "can be drawn for them (filter such users out, or train without negatives)",
                 u, num_items);
  }
}

bool TrainingInteractions::interacted(std::int32_t user, std::int32_t item) const {
  const auto begin = sorted_items_.begin() + train_.offsets[static_cast<std::size_t>(user)];
  const auto end = sorted_items_.begin() + train_.offsets[static_cast<std::size_t>(user) + 1];
  return std::binary_search(begin, end, item);
}

TrainingInstance TrainingInteractions::instance(std::int64_t epoch, std::int64_t k) const {
  RSDIST_CHECK(k >= 0 && k < size(), "training instance {} is out of range [0, {})", k, size());
  const auto p = static_cast<std::size_t>(k / (negatives_ + 1));
  TrainingInstance out;
  out.user = user_of_[p];
  if (!is_negative(k)) {
    out.item = train_.items[p];
    out.target = negatives_ == 0 ? train_.ratings[p] : 1.0F;
    return out;
  }
  Rng rng = Rng::stream(seed_, {kNegativeStream, static_cast<std::uint64_t>(epoch),
                                static_cast<std::uint64_t>(k)});
  do {
    out.item = static_cast<std::int32_t>(rng.uniform_below(static_cast<std::uint64_t>(num_items_)));
  } while (interacted(out.user, out.item));
  out.target = 0.0F;
  return out;
}

}  // namespace rsdist::loader
