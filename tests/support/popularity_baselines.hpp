// The most-popular baseline computed independently of `rsdist train --model pop`, on the host and
// without the ranking evaluator: the figures the model tests compare against (and that --model
// pop must reproduce exactly).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <unordered_map>
#include <utility>
#include <vector>

#include "data/seq/seq_corpus.hpp"
#include "eval/mind_metrics.hpp"
#include "loader/mind/eval_impressions.hpp"
#include "loader/mind/train_samples.hpp"

namespace rsdist::testing {
namespace fs = std::filesystem;

// HR@20 and NDCG@20 on valid of ranking items by their count in the training sequences, each
// user's prefix items masked, ties by lower id (as eval/topk_selection.hpp).
inline std::pair<double, double> popularity_baseline(const fs::path& corpus_dir) {
  const rsdist::seq::SeqCorpus corpus = rsdist::seq::read_seq_corpus(corpus_dir);
  std::vector<double> count(static_cast<std::size_t>(corpus.graph.num_nodes), 0.0);
  for (const auto item : corpus.splits.all_train_sequences.items)
    count[static_cast<std::size_t>(item)] += 1;
  std::vector<std::int32_t> order;
  for (std::int32_t i = 1; i < corpus.graph.num_nodes; ++i) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::int32_t a, std::int32_t b) {
    return count[static_cast<std::size_t>(a)] > count[static_cast<std::size_t>(b)];
  });
  const auto& valid = corpus.splits.valid;
  double hits = 0, ndcg = 0;
  for (std::size_t e = 0; e < valid.size(); ++e) {
    const auto prefix = rsdist::seq::example_prefix(corpus.sequences, valid, e);
    int rank = 0;
    for (const std::int32_t item : order) {
      if (std::find(prefix.begin(), prefix.end(), item) != prefix.end() && item != valid.targets[e])
        continue;
      if (item == valid.targets[e]) {
        hits += 1;
        ndcg += 1.0 / std::log2(rank + 2.0);
        break;
      }
      if (++rank == 20) break;
    }
  }
  const auto n = static_cast<double>(valid.size());
  return {hits / n, ndcg / n};
}

// Candidates scored by how often the news was clicked in train.
inline double popularity_auc(const fs::path& corpus) {
  const auto sizes = rsdist::loader::TrainSamples::read_shard_sizes(corpus);
  std::vector<std::int32_t> shards;
  for (std::size_t k = 0; k < sizes.size(); ++k) shards.push_back(static_cast<std::int32_t>(k));
  const auto samples = rsdist::loader::TrainSamples::load_shards(corpus, shards);
  std::unordered_map<std::int32_t, double> clicks;
  for (std::int64_t s = 0; s < samples.total_samples(); ++s)
    clicks[samples.sample(s).positive] += 1;
  const auto dev = rsdist::loader::EvalImpressions::load(corpus, rsdist::loader::EvalSplit::kDev);
  std::vector<float> scores;
  for (const std::int32_t n : dev.candidate_news) scores.push_back(static_cast<float>(clicks[n]));
  return rsdist::eval::score_impressions(scores, dev.label, dev.candidate_offsets).result().auc;
}

}  // namespace rsdist::testing
