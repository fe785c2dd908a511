// The one rank-sharded ranking evaluation of every family that ranks items for users (GCL4SR and
// the most-popular baseline now; NCF, Mult-VAE, EASE, S3-Rec next). A family says how to score a
// chunk of users; this file cuts the split into chunks, gives chunk c to rank c % world, masks,
// ranks on the device (eval/ranking.hpp) and combines the sums with one all-reduce, so the
// metrics do not depend on the number of ranks.
//
// Metric names: the full-ranking protocol (every item, each user's known items masked) gives
// hr<k>, recall<k>, ndcg<k> for every --metrics_k cut-off, mrr, users and unmaskable_targets; the
// sampled protocol (the held-out positive against fixed negatives) gives the same with the prefix
// "sampled_" (sampled_hr10, sampled_ndcg10, sampled_mrr, sampled_users).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "ddp/communicator.hpp"
#include "ddp/item_sharding.hpp"
#include "loader/ratings/ratings_eval_split.hpp"
#include "loader/seq/seq_eval_split.hpp"
#include "models/sparse_rows.hpp"
#include "train/task.hpp"

namespace rsdist::train {

// Users' item lists, CSR: user u of a chunk has items[offsets[u], offsets[u + 1]).
struct UserItems {
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> items;
};

struct RankingSettings {
  std::vector<std::int64_t> cutoffs{10, 20};  // --metrics_k
  std::int64_t chunk_users = 1024;            // --eval_batch_size
  bool item0_is_padding = true;               // item 0 is never ranked (sequence corpora)
};

// --metrics_k and --eval_batch_size of a run's configuration.
RankingSettings ranking_settings(const Config& config);

// Chunk `index` of a split: its users, ascending.
struct RankingChunk {
  std::int64_t index = 0;
  std::vector<std::int64_t> users;
};

struct RankingSource {
  std::int64_t users = 0;  // users of the split
  // Full ranking (null: not evaluated): scores [B, N] of the chunk's users against every item, on
  // the device, with the users' known items (masked) and held-out items.
  std::function<at::Tensor(const RankingChunk&)> full_scores;
  std::function<UserItems(const RankingChunk&)> known_items;
  std::function<UserItems(const RankingChunk&)> heldout_items;
  // Sampled protocol (null: not evaluated): scores [B, 1 + M], column 0 the held-out positive.
  std::function<at::Tensor(const RankingChunk&)> sampled_scores;
  // Full ranking with a row-sharded item table (--shard_items), instead of full_scores: this
  // rank's scores [B, sharding->local_rows()] of the chunk's users against its own items. A
  // collective: every rank scores every chunk, each shard's best items are merged
  // (ddp/item_sharding.hpp) and the held-out item's rank counted over every shard; the metrics
  // equal full_scores'. sampled_scores may then be a collective too (every rank calls it for every
  // chunk).
  std::function<at::Tensor(const RankingChunk&)> shard_scores;
  std::optional<ddp::ItemSharding> sharding;
};

// A sequence corpus split's users, known items (each prefix) and held-out items (each target);
// the family adds full_scores. `split` must outlive the source.
RankingSource sequence_ranking_source(const loader::SeqEvalSplit& split);
// The same for an interaction-matrix corpus split (loader/ratings/ratings_eval_split.hpp).
RankingSource ratings_ranking_source(const loader::RatingsEvalSplit& split);
// A ratings split chunk's corpus user ids, int64 [B] on `device`.
at::Tensor ratings_chunk_users(const loader::RatingsEvalSplit& split, const RankingChunk& chunk,
                               at::Device device);
// A ratings split chunk's sampled candidates, int64 [B, 1 + N] on `device`: column 0 each user's
// held-out item, then its stored negatives (the split must have candidates).
at::Tensor ratings_chunk_candidates(const loader::RatingsEvalSplit& split,
                                    const RankingChunk& chunk, at::Device device);

// The same for a sequence corpus split (its stored negatives: SeqEvalSplit::candidates).
at::Tensor sequence_chunk_candidates(const loader::SeqEvalSplit& split, const RankingChunk& chunk,
                                     at::Device device);

// A ratings split chunk's known items as sparse rows on `device` (the input of the models that
// score a user from their item set: Mult-VAE, EASE).
models::SparseRows ratings_chunk_known_rows(const loader::RatingsEvalSplit& split,
                                            const RankingChunk& chunk, at::Device device);
// For a source whose full_scores score every item: when the split stores candidates, sets
// sampled_scores to the candidates' columns of the same chunk's full scores (the evaluator asks
// for a chunk's full scores, then its sampled ones: the second reuses the first's).
// With a sharded table (shard_scores set) the same from each candidate's owner, through `comm`
// (every rank calls it for every chunk).
void sample_from_full_scores(RankingSource& source, const loader::RatingsEvalSplit& split,
                             at::Device device, ddp::Communicator* comm = nullptr);

// NDCG at the largest --metrics_k cut-off ("ndcg100" with 10,20,50,100): Mult-VAE's code's
// criterion, the default of the families that rank from a user's item set.
std::string ndcg_at_largest_cutoff(const Config& config);

// Every rank must call it; every rank gets the same metrics. A prediction file (MIND's) is refused.
Metrics evaluate_ranking(const RankingSource& source, const RankingSettings& settings,
                         ddp::Communicator& comm, const EvaluateOptions& options,
                         at::Device device);

// Top-k recommendations for `users` of the split (indices, as in a chunk) from the source's full
// scores (one chunk with index -1) with their known items never listed; `user_name` and
// `item_name` give the names the corpus uses. Single process.
std::vector<Recommendation> recommend_ranking(
    const RankingSource& source, std::vector<std::int64_t> users, std::int64_t k,
    const RankingSettings& settings, const std::function<std::string(std::int64_t)>& user_name,
    const std::function<std::string(std::int64_t)>& item_name);

// recommend_ranking for a ratings split: the named `users` (or its first `max_users`; `source_name`
// names the corpus in errors), with the corpus's user and item names.
std::vector<Recommendation> recommend_ratings(const RankingSource& source,
                                              const loader::RatingsEvalSplit& split,
                                              const std::vector<std::string>& users,
                                              std::int64_t k, std::int64_t max_users,
                                              const RankingSettings& settings,
                                              const std::string& source_name);

}  // namespace rsdist::train
