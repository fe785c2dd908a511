// Item-ranking metrics at several cut-offs (HR@k, Recall@k, NDCG@k) and MRR, summed over users so
// that ranks can all-reduce them; no torch. The shared evaluator of every item-ranking model
// (eval/ranking.hpp turns scores into what add_user takes).
//
// Per user, with H held-out items and its ranked list (0-based positions):
//  * HR@k     = 1 if any held-out item is at a position < k, else 0;
//  * Recall@k = hits@k / min(k, H), as Mult-VAE's official Recall_at_k_batch (dawenl/vae_cf), so
//               a perfect list scores 1 also when H > k (RecBole's Recall divides by H instead);
//  * NDCG@k   = DCG@k / IDCG@k, DCG@k = sum over hits at positions p < k of 1 / log2(p + 2),
//               IDCG@k = sum_{i < min(k, H)} 1 / log2(i + 2), as vae_cf's NDCG_binary_at_k_batch
//               and RecBole's NDCG;
//  * MRR      = 1 / (r + 1) for the exact rank r of the best-ranked held-out item among all
//               candidates, not cut at any k (RecBole's MRR@k would be cut at k).
// Each is averaged over users. With one held-out item Recall@k == HR@k and NDCG@k equals
// the single-target accumulator GCL4SR used before it, bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace rsdist::eval {

// "10,20,50,100" -> {10, 20, 50, 100}: sorted, duplicates dropped, each a whole number >= 1
// (spaces around a token are allowed). Throws rsdist::Error naming `option` (e.g. "--metrics_k")
// and the bad token.
std::vector<std::int64_t> parse_cutoffs(const std::string& text, const std::string& option);

// Sums over users. Accumulators with the same cut-offs merge (one per rank, or per chunk of users)
// into what one pass over all users gives: hit counts exactly, the other sums up to rounding.
class RankingMetrics {
 public:
  // Sorted and deduplicated; throws unless non-empty with every cut-off >= 1.
  explicit RankingMetrics(std::vector<std::int64_t> cutoffs);

  const std::vector<std::int64_t>& cutoffs() const { return cutoffs_; }
  std::int64_t max_cutoff() const { return cutoffs_.back(); }
  std::int64_t users() const { return users_; }

  // One user. `hit_positions`: strictly increasing 0-based positions (< max_cutoff) of the user's
  // held-out items in its ranked list; `heldout`: its number of held-out items (>= 1, >= hits);
  // `first_hit_rank`: the exact 0-based rank of its best-ranked held-out item among all
  // candidates, or -1 if unknown/none. With -1 and a hit, the first hit position is that rank
  // (exactly); with -1 and no hit the user adds 0 to MRR. A known rank must agree with the hits
  // (== hit_positions[0], or >= max_cutoff when there is none); anything else throws.
  void add_user(std::span<const std::int64_t> hit_positions, std::int64_t heldout,
                std::int64_t first_hit_rank);
  // Throws unless both have the same cut-offs.
  void merge(const RankingMetrics& other);

  // Fixed layout for collectives (ddp::all_reduce_sum):
  // {users, mrr sum, then per cut-off in order: HR count, Recall sum, NDCG sum}.
  std::vector<double> pack() const;
  std::size_t packed_size() const { return 2 + 3 * cutoffs_.size(); }
  // Inverse of pack() for accumulators with these cut-offs; throws on a wrong size, on values
  // that are not finite or negative, on counts that are not whole numbers and on per-user sums
  // above the number of users.
  static RankingMetrics unpack(std::vector<std::int64_t> cutoffs, std::span<const double> packed);

  // Averages over users: prefix + "hr<k>", "recall<k>", "ndcg<k>" for every cut-off, "mrr" and
  // "users" (the count), e.g. "ndcg20" for the full ranking (prefix "") and "sampled_hr10" for
  // the sampled protocol. Every average is 0 when there are no users.
  std::map<std::string, double> result(const std::string& prefix) const;

 private:
  std::vector<std::int64_t> cutoffs_;
  std::vector<std::int64_t> hr_count_;  // per cut-off
  std::vector<double> recall_sum_;      // per cut-off
  std::vector<double> ndcg_sum_;        // per cut-off
  double mrr_sum_ = 0.0;
  std::int64_t users_ = 0;
};

}  // namespace rsdist::eval
