#include "train/impression_protocol.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/topk.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "ddp/collectives.hpp"
#include "eval/mind_metrics.hpp"
#include "eval/mind_prediction.hpp"

namespace rsdist::train {
namespace {

// The range's candidate offsets, rebased to its first candidate.
std::vector<std::int64_t> range_offsets(const loader::EvalImpressions& e,
                                        loader::ImpressionRange range) {
  const std::int64_t first = e.candidate_offsets[static_cast<std::size_t>(range.begin)];
  std::vector<std::int64_t> offsets;
  for (std::int64_t i = range.begin; i <= range.end; ++i) {
    offsets.push_back(e.candidate_offsets[static_cast<std::size_t>(i)] - first);
  }
  return offsets;
}

void write_prediction(const loader::EvalImpressions& e, const std::vector<float>& scores,
                      ddp::Communicator& comm, const EvaluateOptions& options, at::Device device) {
  const at::Tensor local = at::from_blob(const_cast<float*>(scores.data()),
                                         {static_cast<std::int64_t>(scores.size())}, at::kFloat)
                               .clone()
                               .to(device);
  const at::Tensor all = ddp::all_gather_concat(comm, local).cpu().contiguous();
  if (options.rank != 0) return;
  RSDIST_CHECK(all.numel() == e.candidates(), "gathered {} scores for {} candidates", all.numel(),
               e.candidates());
  eval::write_mind_prediction(
      *options.prediction_file, e.candidate_offsets,
      std::span<const float>(all.data_ptr<float>(), static_cast<std::size_t>(all.numel())));
}

// Each named user's latest impression in the split, and the names in order of first appearance.
struct LatestImpressions {
  std::unordered_map<std::string, std::int64_t> of_user;
  std::vector<std::string> order;
};

LatestImpressions latest_impressions(const loader::EvalImpressions& e,
                                     const nlohmann::json& user_names) {
  LatestImpressions latest;
  for (std::int64_t i = 0; i < e.size(); ++i) {
    const auto u = static_cast<std::size_t>(e.user[static_cast<std::size_t>(i)]);
    if (u == 0) continue;  // users unseen in train have no name to ask for
    const std::string name = user_names.at(u).get<std::string>();
    if (latest.of_user.emplace(name, i).second) latest.order.push_back(name);
    latest.of_user[name] = i;
  }
  return latest;
}

std::vector<std::int64_t> candidate_pool(const loader::EvalImpressions& e) {
  std::vector<std::int64_t> pool;
  std::unordered_set<std::int32_t> seen;
  for (const std::int32_t n : e.candidate_news) {
    if (seen.insert(n).second) pool.push_back(n);
  }
  return pool;
}

}  // namespace

Metrics evaluate_impressions(const loader::EvalImpressions& e, const ImpressionScorer& score,
                             bool labeled, ddp::Communicator& comm, const EvaluateOptions& options,
                             at::Device device) {
  const loader::ImpressionRange range = e.range_for(options.rank, options.world);
  const std::vector<float> scores = score(range);
  Metrics metrics;
  if (labeled) {
    const auto first =
        static_cast<std::size_t>(e.candidate_offsets[static_cast<std::size_t>(range.begin)]);
    const eval::MindMetrics local = eval::score_impressions(
        scores, std::span<const std::int32_t>(e.label).subspan(first, scores.size()),
        range_offsets(e, range));
    const auto packed = local.pack();
    const eval::MindResult r =
        eval::MindMetrics::unpack(ddp::all_reduce_sum(comm, packed, device)).result();
    metrics = {{"auc", r.auc},
               {"mrr", r.mrr},
               {"ndcg5", r.ndcg5},
               {"ndcg10", r.ndcg10},
               {"impressions", static_cast<double>(r.impressions)},
               {"skipped_impressions", static_cast<double>(r.skipped)}};
  }
  if (options.prediction_file) write_prediction(e, scores, comm, options, device);
  return metrics;
}

std::vector<Recommendation> recommend_from_impressions(const loader::EvalImpressions& e,
                                                       const std::filesystem::path& corpus_dir,
                                                       Split split,
                                                       const std::vector<std::string>& users,
                                                       std::int64_t k, std::int64_t max_users,
                                                       const PoolScorer& score, at::Device device) {
  const auto dictionaries = nlohmann::json::parse(std::ifstream(corpus_dir / "dictionaries.json"));
  const auto& news_names = dictionaries.at("news");
  LatestImpressions latest = latest_impressions(e, dictionaries.at("users"));
  std::vector<std::string> wanted = users;
  if (wanted.empty()) {
    latest.order.resize(
        std::min<std::size_t>(latest.order.size(), static_cast<std::size_t>(max_users)));
    wanted = latest.order;
  }
  const std::vector<std::int64_t> pool = candidate_pool(e);
  const at::Tensor pool_index = at::from_blob(const_cast<std::int64_t*>(pool.data()),
                                              {static_cast<std::int64_t>(pool.size())}, at::kLong)
                                    .to(device);
  const at::NoGradGuard no_grad;
  std::vector<Recommendation> out;
  for (const auto& name : wanted) {
    const auto it = latest.of_user.find(name);
    RSDIST_CHECK(it != latest.of_user.end(),
                 "--users: '{}' has no impression in the {} split of {}", name, split_name(split),
                 corpus_dir.string());
    at::Tensor scores = score(it->second, pool_index).to(at::kFloat).view({-1});
    for (const std::int32_t read : e.history_of(it->second)) {
      if (read == 0) continue;
      const auto p = std::find(pool.begin(), pool.end(), read);
      if (p != pool.end()) scores[p - pool.begin()] = -std::numeric_limits<float>::infinity();
    }
    const auto [values, index] =
        at::topk(scores, std::min<std::int64_t>(k, static_cast<std::int64_t>(pool.size())));
    const at::Tensor v = values.cpu().contiguous(), ix = index.cpu().contiguous();
    Recommendation r;
    r.user = name;
    for (std::int64_t j = 0; j < v.numel(); ++j) {
      if (!std::isfinite(v.data_ptr<float>()[j])) break;
      const auto news = pool[static_cast<std::size_t>(ix.data_ptr<std::int64_t>()[j])];
      r.items.push_back(news_names.at(static_cast<std::size_t>(news)).get<std::string>());
      r.scores.push_back(v.data_ptr<float>()[j]);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace rsdist::train
