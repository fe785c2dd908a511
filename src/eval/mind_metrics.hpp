// MIND impression metrics (AUC, MRR, nDCG@5, nDCG@10), as the MIND competition's official scorer.
//
// Note [MIND scoring]: the reference pipeline (NNR's util.py, which feeds the MIND leaderboard's
// evaluate.py) never scores raw model outputs. It first turns each impression's scores into ranks
// (mind_ranks: sort by score, descending, Python's stable sort, so equal scores keep candidate
// order and the first-listed candidate gets the better rank), and the scorer then uses 1/rank as
// the score of each candidate:
//   AUC     = sklearn roc_auc_score(labels, 1/rank); ranks are distinct, so this is the fraction of
//             (positive, negative) pairs in which the positive has the better rank;
//   MRR     = sum over positives of 1/rank, divided by the number of positives;
//   nDCG@k  = DCG@k(ranking) / DCG@k(ideal ranking), DCG@k = sum over the top min(k, n) positions
//             i = 0, 1, ... of (2^label - 1) / log2(i + 2).
// Each metric is then averaged over impressions (plain mean, every impression weighs the same).
// Ties in the model's scores are therefore broken by candidate order, exactly as the leaderboard
// does, and the metrics here equal what evaluate.py prints for the prediction.txt that
// write_mind_prediction writes from the same scores.
//
// Impressions whose labels hold only one class (all clicked, none clicked, or no candidates) have
// no AUC: roc_auc_score raises there and evaluate.py stops. Here such an impression is skipped for
// every metric (so that the four means are over the same impressions) and counted in
// `MindResult::skipped`. MIND's own dev/test impressions always hold a click and a non-click.
//
// Labels must be 0 or 1 and scores must not be NaN (Python's sort would order NaNs arbitrarily);
// anything else throws. No torch: scores come as host floats, e.g. a tensor's data gathered on
// rank 0, or each rank scores its own shard of impressions and the accumulators are merged.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rsdist::eval {

// 1-based ranks in candidate order: ranks[i] is the position of candidate i when the impression is
// sorted by score, descending; equal scores keep candidate order (see Note [MIND scoring]).
// Throws on a NaN score.
std::vector<std::int32_t> mind_ranks(std::span<const float> scores);

// The metrics of one impression; `scored` is false (and the metrics 0) when it has one class only.
struct ImpressionScore {
  bool scored = false;
  double auc = 0.0;
  double mrr = 0.0;
  double ndcg5 = 0.0;
  double ndcg10 = 0.0;
};

// Scores one impression: `scores[i]` and `labels[i]` (0 or 1) belong to candidate i.
ImpressionScore score_impression(std::span<const float> scores,
                                 std::span<const std::int32_t> labels);

// Means over the scored impressions; every metric is 0 when `impressions` is 0.
struct MindResult {
  double auc = 0.0;
  double mrr = 0.0;
  double ndcg5 = 0.0;
  double ndcg10 = 0.0;
  std::int64_t impressions = 0;  // impressions averaged over
  std::int64_t skipped = 0;      // impressions with one class only, left out of every mean
};

// Sums and counts of impression metrics. Ranks may each score a shard of impressions; merging the
// accumulators (in any grouping) gives the one-pass result up to floating-point rounding of the
// sums (~1e-16 relative).
class MindMetrics {
 public:
  // Packed form for collectives: {auc, mrr, ndcg5, ndcg10 sums, impressions, skipped}; float64
  // holds the counts exactly (< 2^53). E.g. all-gather the packed arrays and merge on rank 0, or
  // all-reduce them with a sum.
  static constexpr std::size_t kPackedSize = 6;

  void add(const ImpressionScore& impression);
  void add(std::span<const float> scores, std::span<const std::int32_t> labels) {
    add(score_impression(scores, labels));
  }
  void merge(const MindMetrics& other);
  MindResult result() const;

  std::array<double, kPackedSize> pack() const;
  // Throws unless `packed` has kPackedSize non-negative values with whole counts.
  static MindMetrics unpack(std::span<const double> packed);

 private:
  double auc_sum_ = 0.0;
  double mrr_sum_ = 0.0;
  double ndcg5_sum_ = 0.0;
  double ndcg10_sum_ = 0.0;
  std::int64_t impressions_ = 0;
  std::int64_t skipped_ = 0;
};

// Scores a set of impressions stored CSR-style: impression j is candidates
// [offsets[j], offsets[j + 1]) of `scores` and `labels` (offsets: I + 1 non-decreasing values from
// 0 to scores.size()). Per impression of n candidates: O(n) per click for up to 8 clicks (MIND
// has one or two), O(n log n) beyond; no allocation per impression.
MindMetrics score_impressions(std::span<const float> scores, std::span<const std::int32_t> labels,
                              std::span<const std::int64_t> offsets);

}  // namespace rsdist::eval
