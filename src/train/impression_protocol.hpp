// How every click model on MIND impressions (NAML, the most-popular baseline) is evaluated and
// serves recommendations, in one place:
//  * evaluation, sharded over ranks: each rank scores a contiguous range of impressions balanced
//    by candidates (EvalImpressions::range_for), the MIND metric sums are combined with one
//    all-reduce, and the leaderboard's prediction.txt, when asked for, is gathered to rank 0;
//  * recommendation: a user's latest impression in the split carries the history; the pool is
//    every news shown as a candidate in the split; news the user already read are left out.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "loader/mind/eval_impressions.hpp"
#include "train/task.hpp"

namespace rsdist::train {

// The scores of every candidate of `range`'s impressions, in candidate order.
using ImpressionScorer = std::function<std::vector<float>(loader::ImpressionRange range)>;

// auc, mrr, ndcg5, ndcg10, impressions, skipped_impressions when the split is labeled (empty
// metrics otherwise). Every rank must call it.
Metrics evaluate_impressions(const loader::EvalImpressions& impressions,
                             const ImpressionScorer& score, bool labeled, ddp::Communicator& comm,
                             const EvaluateOptions& options, at::Device device);

// Scores of the pool's news (`pool`: news ids, int64 on the device) for the user of
// `impression`, [pool size] on the device.
using PoolScorer = std::function<at::Tensor(std::int64_t impression, const at::Tensor& pool)>;

// Top-k news for `users` (names as in dictionaries.json; empty: the split's first `max_users`).
std::vector<Recommendation> recommend_from_impressions(const loader::EvalImpressions& impressions,
                                                       const std::filesystem::path& corpus_dir,
                                                       Split split,
                                                       const std::vector<std::string>& users,
                                                       std::int64_t k, std::int64_t max_users,
                                                       const PoolScorer& score, at::Device device);

}  // namespace rsdist::train
