#include "train/ranking_evaluation.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/tensor.h>

#include <algorithm>
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
                             at::Device device) {
  if (!split.has_candidates()) return;
  auto last = std::make_shared<std::pair<std::int64_t, at::Tensor>>(-1, at::Tensor());
  const auto full = source.full_scores;
  source.full_scores = [full, last](const RankingChunk& chunk) {
    *last = {chunk.index, full(chunk)};
    return last->second;
  };
  source.sampled_scores = [full, last, &split, device](const RankingChunk& chunk) {
    const at::Tensor scores =
        last->second.defined() && last->first == chunk.index ? last->second : full(chunk);
    last->second.reset();
    return scores.gather(1, ratings_chunk_candidates(split, chunk, device));
  };
}

std::string ndcg_at_largest_cutoff(const Config& config) {
  return "ndcg" +
         std::to_string(eval::parse_cutoffs(config.get_string("metrics_k"), "--metrics_k").back());
}

Metrics evaluate_ranking(const RankingSource& source, const RankingSettings& settings,
                         ddp::Communicator& comm, const EvaluateOptions& options,
                         at::Device device) {
  RSDIST_CHECK(!options.prediction_file,
               "--prediction writes MIND's prediction.txt, which ranking items for users has no "
               "equivalent of; use 'rsdist recommend' for top-k lists");
  const at::NoGradGuard no_grad;
  eval::RankingMetrics full(settings.cutoffs), sampled(settings.cutoffs);
  std::int64_t unmaskable = 0;
  const std::int64_t chunk_users = settings.chunk_users;
  for (std::int64_t c = options.rank; c * chunk_users < source.users; c += options.world) {
    fault_point(FaultPoint::kEvaluate, options.rank);  // Note [Fault injection]
    RankingChunk chunk{c, {}};
    for (std::int64_t u = c * chunk_users; u < std::min(source.users, (c + 1) * chunk_users); ++u) {
      chunk.users.push_back(u);
    }
    if (source.full_scores) {
      const UserItems known = source.known_items(chunk);
      const UserItems heldout = source.heldout_items(chunk);
      unmaskable +=
          eval::rank_full(source.full_scores(chunk), {known.offsets, known.items},
                          {heldout.offsets, heldout.items}, full, {settings.item0_is_padding});
    }
    if (source.sampled_scores) eval::rank_sampled(source.sampled_scores(chunk), sampled);
  }
  // One all-reduce for both protocols and the count.
  std::vector<double> sums = full.pack();
  const std::vector<double> sampled_sums = sampled.pack();
  sums.insert(sums.end(), sampled_sums.begin(), sampled_sums.end());
  sums.push_back(static_cast<double>(unmaskable));
  const std::vector<double> all = ddp::all_reduce_sum(comm, sums, device);
  const std::span<const double> packed(all);
  Metrics metrics;
  if (source.full_scores) {
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
  const at::Tensor scores = source.full_scores(chunk).to(at::kFloat);
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
