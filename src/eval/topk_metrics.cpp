#include "eval/topk_metrics.hpp"

#include <cmath>

#include "core/error.hpp"

namespace rsdist::eval {

void TopKMetrics::add(const TopKLists& lists, std::span<const std::int32_t> targets) {
  RSDIST_CHECK(lists.k >= kMaxCutoff,
               "TopKMetrics: the top-k lists hold {} items per user; Recall/NDCG@{} need at "
               "least {} (ask full_ranking_topk for k >= {})",
               lists.k, kMaxCutoff, kMaxCutoff, kMaxCutoff);
  RSDIST_CHECK(lists.num_users >= 0 &&
                   lists.items.size() == static_cast<std::size_t>(lists.num_users * lists.k),
               "TopKMetrics: the lists hold {} items, not {} users x {}", lists.items.size(),
               lists.num_users, lists.k);
  RSDIST_CHECK(targets.size() == static_cast<std::size_t>(lists.num_users),
               "TopKMetrics: {} targets for {} users; every user needs exactly one target",
               targets.size(), lists.num_users);
  for (std::int64_t user = 0; user < lists.num_users; ++user) {
    const std::int32_t target = targets[static_cast<std::size_t>(user)];
    RSDIST_CHECK(target >= 1,
                 "TopKMetrics: user {} of the batch has target item {}; items are numbered from "
                 "1 (0 is the padding id)",
                 user, target);
    const auto row = lists.row(user);
    for (std::int64_t position = 0; position < kMaxCutoff; ++position) {
      const std::int64_t item = row[static_cast<std::size_t>(position)];
      if (item < 0) break;  // the list ended early
      if (item != target) continue;
      const double gain = 1.0 / std::log2(static_cast<double>(position + 2));
      ++hits20_;
      ndcg20_sum_ += gain;
      if (position < 10) {
        ++hits10_;
        ndcg10_sum_ += gain;
      }
      break;
    }
  }
  users_ += lists.num_users;
}

void TopKMetrics::merge(const TopKMetrics& other) {
  hits10_ += other.hits10_;
  hits20_ += other.hits20_;
  ndcg10_sum_ += other.ndcg10_sum_;
  ndcg20_sum_ += other.ndcg20_sum_;
  users_ += other.users_;
}

TopKResult TopKMetrics::result() const {
  TopKResult r;
  r.users = users_;
  if (users_ == 0) return r;
  const auto count = static_cast<double>(users_);
  r.recall10 = static_cast<double>(hits10_) / count;
  r.recall20 = static_cast<double>(hits20_) / count;
  r.ndcg10 = ndcg10_sum_ / count;
  r.ndcg20 = ndcg20_sum_ / count;
  return r;
}

std::array<double, TopKMetrics::kPackedSize> TopKMetrics::pack() const {
  return {static_cast<double>(hits10_), static_cast<double>(hits20_), ndcg10_sum_, ndcg20_sum_,
          static_cast<double>(users_)};
}

TopKMetrics TopKMetrics::unpack(std::span<const double> packed) {
  RSDIST_CHECK(packed.size() == kPackedSize,
               "TopKMetrics::unpack: expected {} values (hits@10, hits@20, 2 NDCG sums, users), "
               "got {}",
               kPackedSize, packed.size());
  for (std::size_t i = 0; i < kPackedSize; ++i) {
    RSDIST_CHECK(std::isfinite(packed[i]) && packed[i] >= 0.0,
                 "TopKMetrics::unpack: value {} is {}; sums and counts are finite and >= 0", i,
                 packed[i]);
  }
  for (const std::size_t i : {std::size_t{0}, std::size_t{1}, std::size_t{4}}) {
    RSDIST_CHECK(packed[i] == std::floor(packed[i]) && packed[i] < 9007199254740992.0,
                 "TopKMetrics::unpack: count {} is {}, not a whole number", i, packed[i]);
  }
  TopKMetrics m;
  m.hits10_ = static_cast<std::int64_t>(packed[0]);
  m.hits20_ = static_cast<std::int64_t>(packed[1]);
  m.ndcg10_sum_ = packed[2];
  m.ndcg20_sum_ = packed[3];
  m.users_ = static_cast<std::int64_t>(packed[4]);
  return m;
}

}  // namespace rsdist::eval
