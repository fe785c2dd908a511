#include "train/ranking_evaluation.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/where.h>
#include <ATen/ops/zeros.h>
#include <ATen/ops/tensor.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <utility>

#include "core/error.hpp"
#include "core/fault_injection.hpp"
#include "ddp/collectives.hpp"
#include "eval/ranking.hpp"
#include "eval/ranking_metrics.hpp"
#include "loader/ratings/user_row_batcher.hpp"

namespace rsdist::train {

RankingSettings ranking_settings(const Config& config) {
  RankingSettings s;
  s.cutoffs = eval::parse_cutoffs(config.get_string("metrics_k"), "--metrics_k");
  s.chunk_users = config.get_int("eval_batch_size");
  return s;
}

namespace {

// Users, known and held-out items of a corpus split whose lists are CSR with `offsets` and
// `items` (SeqEvalSplit, RatingsEvalSplit).
template <class EvalSplit>
RankingSource split_ranking_source(const EvalSplit& split) {
  RankingSource source;
  source.users = split.size();
  source.known_items = [&split](const RankingChunk& c) {
    auto lists = split.known_items(c.users);
    return UserItems{std::move(lists.offsets), std::move(lists.items)};
  };
  source.heldout_items = [&split](const RankingChunk& c) {
    auto lists = split.heldout_items(c.users);
    return UserItems{std::move(lists.offsets), std::move(lists.items)};
  };
  return source;
}

}  // namespace

RankingSource sequence_ranking_source(const loader::SeqEvalSplit& split) {
  return split_ranking_source(split);
}

RankingSource ratings_ranking_source(const loader::RatingsEvalSplit& split) {
  return split_ranking_source(split);
}

at::Tensor ratings_chunk_users(const loader::RatingsEvalSplit& split, const RankingChunk& chunk,
                               at::Device device) {
  std::vector<std::int64_t> users;
  users.reserve(chunk.users.size());
  for (const std::int64_t e : chunk.users) users.push_back(split.user(e));
  return at::tensor(users, at::kLong).to(device);
}

namespace {

// [B, 1 + N] int64 on `device` from a chunk's row-major candidates.
at::Tensor candidate_matrix(std::vector<std::int32_t> candidates, std::int64_t b,
                            at::Device device) {
  RSDIST_CHECK(b > 0 && !candidates.empty(), "no sampled candidates for {} users", b);
  return at::from_blob(candidates.data(), {b, static_cast<std::int64_t>(candidates.size()) / b},
                       at::kInt)
      .to(device, at::kLong);
}

}  // namespace

at::Tensor ratings_chunk_candidates(const loader::RatingsEvalSplit& split,
                                    const RankingChunk& chunk, at::Device device) {
  return candidate_matrix(split.candidates(chunk.users),
                          static_cast<std::int64_t>(chunk.users.size()), device);
}

at::Tensor sequence_chunk_candidates(const loader::SeqEvalSplit& split, const RankingChunk& chunk,
                                     at::Device device) {
  return candidate_matrix(split.candidates(chunk.users),
                          static_cast<std::int64_t>(chunk.users.size()), device);
}

models::SparseRows ratings_chunk_known_rows(const loader::RatingsEvalSplit& split,
                                            const RankingChunk& chunk, at::Device device) {
  const ratings::UserItemMatrix known = split.known_items(chunk.users);
  return loader::host_sparse_rows(known, {}, device.is_cuda()).to(device);
}

void sample_from_full_scores(RankingSource& source, const loader::RatingsEvalSplit& split,
                             at::Device device, ddp::Communicator* comm) {
  if (!split.has_candidates()) return;
  const bool sharded = static_cast<bool>(source.shard_scores);
  RSDIST_CHECK(!sharded || (comm != nullptr && source.sharding),
               "sampled scores of a sharded table need its communicator");
  // The evaluator asks for a chunk's (full or shard) scores, then its sampled ones: the second
  // reuses the first's.
  std::function<at::Tensor(const RankingChunk&)>& scores_of =
      sharded ? source.shard_scores : source.full_scores;
  auto last = std::make_shared<std::pair<std::int64_t, at::Tensor>>(-1, at::Tensor());
  const auto score = scores_of;
  scores_of = [score, last](const RankingChunk& chunk) {
    *last = {chunk.index, score(chunk)};
    return last->second;
  };
  const auto chunk_scores = [score, last](const RankingChunk& chunk) {
    const at::Tensor scores =
        last->second.defined() && last->first == chunk.index ? last->second : score(chunk);
    last->second.reset();
    return scores;
  };
  if (!sharded) {
    source.sampled_scores = [chunk_scores, &split, device](const RankingChunk& chunk) {
      return chunk_scores(chunk).gather(1, ratings_chunk_candidates(split, chunk, device));
    };
    return;
  }
  // Each candidate's score from its owner (zeros elsewhere, one all-reduce).
  const ddp::ItemSharding sharding = *source.sharding;
  source.sampled_scores = [chunk_scores, &split, device, comm, sharding](const RankingChunk& chunk) {
    const at::Tensor candidates = ratings_chunk_candidates(split, chunk, device);
    const at::Tensor owned = candidates.remainder(sharding.world).eq(sharding.rank);
    const at::Tensor local = at::where(owned, candidates.div(sharding.world, "floor"), 0);
    at::Tensor values =
        chunk_scores(chunk).gather(1, local).masked_fill(owned.logical_not(), 0).contiguous();
    comm->all_reduce(values, ddp::ReduceOp::kSum);
    return values;
  };
}

std::string ndcg_at_largest_cutoff(const Config& config) {
  return "ndcg" +
         std::to_string(eval::parse_cutoffs(config.get_string("metrics_k"), "--metrics_k").back());
}

namespace {

RankingChunk chunk_of(const RankingSource& source, std::int64_t c, std::int64_t chunk_users) {
  RankingChunk chunk{c, {}};
  for (std::int64_t u = c * chunk_users; u < std::min(source.users, (c + 1) * chunk_users); ++u) {
    chunk.users.push_back(u);
  }
  return chunk;
}

// A chunk's full ranking over a row-sharded item table: what eval::rank_full gives the whole
// score matrix, from this rank's columns only (every rank calls it for every chunk; rank 0 adds
// the users to `metrics`). Returns the (user, held-out item) pairs that `known` also listed.
std::int64_t rank_full_sharded(const RankingSource& source, const RankingChunk& chunk,
                               const RankingSettings& settings, ddp::Communicator& comm,
                               eval::RankingMetrics& metrics) {
  const ddp::ItemSharding& sharding = *source.sharding;
  const UserItems known = source.known_items(chunk);
  const UserItems heldout = source.heldout_items(chunk);
  const at::Tensor scores = source.shard_scores(chunk).to(at::kFloat);
  const auto users = static_cast<std::int64_t>(chunk.users.size());
  RSDIST_CHECK(scores.dim() == 2 && scores.size(0) == users &&
                   scores.size(1) == sharding.local_rows(),
               "sharded ranking: scores must be [{} users, {} items of rank {}]", users,
               sharding.local_rows(), sharding.rank);
  RSDIST_CHECK(!scores.isnan().any().item<bool>(), "ranking: a model score is NaN");
  // Each user's held-out items sorted, for the lookups of its known and listed items.
  std::vector<std::int32_t> sorted_heldout = heldout.items;
  for (std::int64_t u = 0; u < users; ++u) {
    std::sort(sorted_heldout.begin() + heldout.offsets[u],
              sorted_heldout.begin() + heldout.offsets[u + 1]);
  }
  const auto is_heldout = [&](std::int64_t u, std::int64_t item) {
    return std::binary_search(sorted_heldout.begin() + heldout.offsets[u],
                              sorted_heldout.begin() + heldout.offsets[u + 1],
                              static_cast<std::int32_t>(item));
  };
  // This shard's masked positions (known items and padding, never a held-out item: Note
  // [Unmaskable target]); the held-out items' scores from their owners.
  std::vector<std::int64_t> masked_positions, held_users, held_items, owned_pairs, owned_columns;
  std::int64_t unmaskable = 0;
  const std::int64_t width = sharding.local_rows();
  for (std::int64_t u = 0; u < users; ++u) {
    if (settings.item0_is_padding && sharding.rank == 0) masked_positions.push_back(u * width);
    for (auto e = known.offsets[u]; e < known.offsets[u + 1]; ++e) {
      const std::int64_t item = known.items[static_cast<std::size_t>(e)];
      if (is_heldout(u, item)) {
        ++unmaskable;
      } else if (sharding.owner(item) == sharding.rank) {
        masked_positions.push_back(u * width + sharding.local_index(item));
      }
    }
    for (auto e = heldout.offsets[u]; e < heldout.offsets[u + 1]; ++e) {
      const std::int64_t item = heldout.items[static_cast<std::size_t>(e)];
      if (sharding.owner(item) == sharding.rank) {
        owned_pairs.push_back(static_cast<std::int64_t>(held_items.size()));
        owned_columns.push_back(u * width + sharding.local_index(item));
      }
      held_users.push_back(u);
      held_items.push_back(item);
    }
  }
  at::Tensor masked = scores.clone(at::MemoryFormat::Contiguous);
  const auto longs = at::TensorOptions().dtype(at::kLong);
  const at::Device device = masked.device();
  if (!masked_positions.empty()) {
    masked.view({-1}).index_fill_(0, at::tensor(masked_positions, longs).to(device),
                                  -std::numeric_limits<float>::infinity());
  }
  at::Tensor held_scores = at::zeros({static_cast<std::int64_t>(held_items.size())}, masked.options());
  if (!owned_pairs.empty()) {
    held_scores.index_copy_(0, at::tensor(owned_pairs, longs).to(device),
                            masked.view({-1}).index_select(0, at::tensor(owned_columns, longs).to(device)));
  }
  comm.all_reduce(held_scores, ddp::ReduceOp::kSum);  // zeros plus the owner's score: exact
  // Each user's best held-out item (score descending, id ascending), on the host.
  const at::Tensor held_host = held_scores.cpu().contiguous();
  std::vector<std::int64_t> best(static_cast<std::size_t>(users), 0);
  std::vector<float> best_score(static_cast<std::size_t>(users),
                                -std::numeric_limits<float>::infinity());
  std::vector<bool> has_best(static_cast<std::size_t>(users), false);
  for (std::size_t p = 0; p < held_items.size(); ++p) {
    const auto u = static_cast<std::size_t>(held_users[p]);
    const float score = held_host.data_ptr<float>()[p];
    if (!has_best[u] || score > best_score[u] || (score == best_score[u] && held_items[p] < best[u])) {
      best[u] = held_items[p];
      best_score[u] = score;
      has_best[u] = true;
    }
  }
  const at::Tensor ahead =
      ddp::sharded_items_ahead(comm, sharding, masked, at::tensor(best, longs).to(device))
          .cpu()
          .contiguous();
  const ddp::ShardTopK top = ddp::merge_sharded_topk(
      comm, ddp::shard_top_k(sharding, masked, metrics.max_cutoff()));
  if (comm.rank() != 0) return 0;
  const at::Tensor lists = top.items.cpu().contiguous();
  std::vector<std::int64_t> hits;
  for (std::int64_t u = 0; u < users; ++u) {
    const auto held = heldout.offsets[u + 1] - heldout.offsets[u];
    if (held == 0) continue;
    hits.clear();
    for (std::int64_t p = 0; p < lists.size(1); ++p) {
      const std::int64_t item = lists.data_ptr<std::int64_t>()[u * lists.size(1) + p];
      if (item < 0) break;
      if (is_heldout(u, item)) hits.push_back(p);
    }
    const bool never = std::isinf(best_score[static_cast<std::size_t>(u)]);
    metrics.add_user(hits, held, never ? -1 : ahead.data_ptr<std::int64_t>()[u]);
  }
  return unmaskable;
}

}  // namespace

Metrics evaluate_ranking(const RankingSource& source, const RankingSettings& settings,
                         ddp::Communicator& comm, const EvaluateOptions& options,
                         at::Device device) {
  RSDIST_CHECK(!options.prediction_file,
               "--prediction writes MIND's prediction.txt, which ranking items for users has no "
               "equivalent of; use 'rsdist recommend' for top-k lists");
  RSDIST_CHECK(!source.shard_scores || (source.sharding && !source.full_scores),
               "sharded ranking: shard_scores with its sharding, and without full scores");
  const at::NoGradGuard no_grad;
  eval::RankingMetrics full(settings.cutoffs), sampled(settings.cutoffs);
  std::int64_t unmaskable = 0;
  const std::int64_t chunk_users = settings.chunk_users;
  // A sharded table: every rank takes part in every chunk.
  const bool sharded = static_cast<bool>(source.shard_scores);
  const std::int64_t first = sharded ? 0 : options.rank, step = sharded ? 1 : options.world;
  for (std::int64_t c = first; c * chunk_users < source.users; c += step) {
    fault_point(FaultPoint::kEvaluate, options.rank);  // Note [Fault injection]
    const RankingChunk chunk = chunk_of(source, c, chunk_users);
    if (sharded) unmaskable += rank_full_sharded(source, chunk, settings, comm, full);
    if (source.full_scores) {
      const UserItems known = source.known_items(chunk);
      const UserItems heldout = source.heldout_items(chunk);
      unmaskable +=
          eval::rank_full(source.full_scores(chunk), {known.offsets, known.items},
                          {heldout.offsets, heldout.items}, full, {settings.item0_is_padding});
    }
    if (source.sampled_scores) {
      // Sharded, every rank scores the candidates (their rows come from their owners); rank 0
      // counts them.
      const at::Tensor scores = source.sampled_scores(chunk);
      if (!sharded || comm.rank() == 0) eval::rank_sampled(scores, sampled);
    }
  }
  // One all-reduce for both protocols and the count.
  std::vector<double> sums = full.pack();
  const std::vector<double> sampled_sums = sampled.pack();
  sums.insert(sums.end(), sampled_sums.begin(), sampled_sums.end());
  sums.push_back(static_cast<double>(unmaskable));
  const std::vector<double> all = ddp::all_reduce_sum(comm, sums, device);
  const std::span<const double> packed(all);
  Metrics metrics;
  if (source.full_scores || sharded) {
    metrics =
        eval::RankingMetrics::unpack(settings.cutoffs, packed.first(full.packed_size())).result("");
    metrics["unmaskable_targets"] = all.back();
  }
  if (source.sampled_scores) {
    const auto s = eval::RankingMetrics::unpack(
                       settings.cutoffs, packed.subspan(full.packed_size(), sampled.packed_size()))
                       .result("sampled_");
    metrics.insert(s.begin(), s.end());
  }
  return metrics;
}

std::vector<Recommendation> recommend_ranking(
    const RankingSource& source, std::vector<std::int64_t> users, std::int64_t k,
    const RankingSettings& settings, const std::function<std::string(std::int64_t)>& user_name,
    const std::function<std::string(std::int64_t)>& item_name) {
  if (users.empty()) return {};
  const at::NoGradGuard no_grad;
  const RankingChunk chunk{-1, std::move(users)};
  // Single process: a sharded table's one shard is the whole table.
  RSDIST_CHECK(source.full_scores || (source.sharding && source.sharding->world == 1),
               "recommend runs in one process: a sharded table must be loaded whole");
  const at::Tensor scores =
      (source.full_scores ? source.full_scores(chunk) : source.shard_scores(chunk)).to(at::kFloat);
  const UserItems known = source.known_items(chunk);
  const eval::TopKLists lists =
      eval::top_items(scores, {known.offsets, known.items}, k, {settings.item0_is_padding});
  const at::Tensor host = scores.cpu().contiguous();
  std::vector<Recommendation> out;
  for (std::int64_t u = 0; u < lists.num_users; ++u) {
    Recommendation r;
    r.user = user_name(chunk.users[static_cast<std::size_t>(u)]);
    for (const std::int64_t item : lists.row(u)) {
      if (item < 0) break;
      r.items.push_back(item_name(item));
      r.scores.push_back(host.data_ptr<float>()[u * host.size(1) + item]);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Recommendation> recommend_ratings(const RankingSource& source,
                                              const loader::RatingsEvalSplit& split,
                                              const std::vector<std::string>& users,
                                              std::int64_t k, std::int64_t max_users,
                                              const RankingSettings& settings,
                                              const std::string& source_name) {
  return recommend_ranking(
      source, split.select(users, max_users, source_name), k, settings,
      [&](std::int64_t e) { return split.user_name(e); },
      [&](std::int64_t item) { return split.item_name(item); });
}

}  // namespace rsdist::train
