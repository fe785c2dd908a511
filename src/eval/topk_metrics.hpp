// Full-ranking top-k metrics of sequential recommenders (GCL4SR's Recall@k and NDCG@k, k = 10, 20).
//
// Every user has one target item (the next item of the sequence). With one relevant item,
// Recall@k equals the hit ratio HR@k (1 if the target is among the user's top k, else 0), and
// NDCG@k is 1 / log2(r + 2) for the target at 0-based position r < k (the ideal DCG is 1), else 0.
// Both are averaged over users. The top-k lists come from full_ranking_topk
// (eval/full_ranking.hpp), which masks each user's training items and the padding item 0; this
// file only counts, and includes no torch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rsdist::eval {

// Per-user item lists, best first, row-major [num_users, k]; an entry of -1 ends a user's list
// early (fewer than k items were left after masking).
struct TopKLists {
  std::int64_t num_users = 0;
  std::int64_t k = 0;
  std::vector<std::int64_t> items;

  std::span<const std::int64_t> row(std::int64_t user) const {
    return std::span<const std::int64_t>(items).subspan(static_cast<std::size_t>(user * k),
                                                        static_cast<std::size_t>(k));
  }
};

struct TopKResult {
  double recall10 = 0.0;
  double recall20 = 0.0;
  double ndcg10 = 0.0;
  double ndcg20 = 0.0;
  std::int64_t users = 0;  // users averaged over; every metric is 0 when there are none
};

// Sums and counts over users; merging accumulators (e.g. one per rank) equals one pass up to the
// rounding of the NDCG sums (Recall sums are whole numbers, exact).
class TopKMetrics {
 public:
  static constexpr std::int64_t kMaxCutoff = 20;  // lists must hold at least this many items
  // Packed form for collectives: {hits@10, hits@20, ndcg@10 sum, ndcg@20 sum, users}.
  static constexpr std::size_t kPackedSize = 5;

  // `targets[u]` is user u's target item (>= 1; 0 is the padding id). Throws unless
  // lists.k >= kMaxCutoff and there is one target per user.
  void add(const TopKLists& lists, std::span<const std::int32_t> targets);
  void merge(const TopKMetrics& other);
  TopKResult result() const;

  std::array<double, kPackedSize> pack() const;
  static TopKMetrics unpack(std::span<const double> packed);

 private:
  std::int64_t hits10_ = 0;
  std::int64_t hits20_ = 0;
  double ndcg10_sum_ = 0.0;
  double ndcg20_sum_ = 0.0;
  std::int64_t users_ = 0;
};

}  // namespace rsdist::eval
