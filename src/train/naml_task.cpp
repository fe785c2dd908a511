#include "train/naml_task.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/topk.h>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "ddp/control.hpp"
#include "eval/mind_metrics.hpp"
#include "eval/mind_prediction.hpp"
#include "loader/eval_impressions.hpp"
#include "loader/naml_batcher.hpp"
#include "loader/news_table.hpp"
#include "loader/train_samples.hpp"
#include "models/click_losses.hpp"
#include "models/naml_model.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

constexpr std::int64_t kNewsChunk = 2048;        // news encoded per forward at evaluation
constexpr std::int64_t kImpressionChunk = 1024;  // impressions per user-encoder forward

loader::EvalSplit loader_split(Split split) {
  return split == Split::kDev ? loader::EvalSplit::kDev : loader::EvalSplit::kTest;
}

at::Tensor long_tensor(const std::vector<std::int64_t>& values) {
  return at::from_blob(const_cast<std::int64_t*>(values.data()),
                       {static_cast<std::int64_t>(values.size())}, at::kLong)
      .clone();
}

class NamlTask final : public Task {
 public:
  explicit NamlTask(const TaskContext& c)
      : config_(c.config),
        corpus_(c.config.get_string("corpus")),
        device_(c.device),
        rank_(c.rank),
        world_(c.world) {
    RSDIST_CHECK(fs::exists(corpus_ / "manifest.json"),
                 "--corpus {}: no manifest.json (not a complete corpus from 'rsdist preprocess "
                 "mind')",
                 corpus_.string());
    loader::NewsTableOptions table_options;
    table_options.max_title_length =
        static_cast<std::int32_t>(c.config.get_int("max_title_length"));
    table_options.max_abstract_length =
        static_cast<std::int32_t>(c.config.get_int("max_abstract_length"));
    const loader::NewsTable host = loader::NewsTable::load(corpus_, table_options);
    models::NamlOptions o;
    o.word_embedding = host.word_embedding();
    o.freeze_word_embedding = c.config.get_bool("freeze_word_embedding");
    o.categories = host.num_categories();
    o.subcategories = host.num_subcategories();
    o.category_embedding_dim = c.config.get_int("category_embedding_dim");
    o.cnn_kernel_num = c.config.get_int("cnn_kernel_num");
    o.cnn_window_size = c.config.get_int("cnn_window_size");
    o.attention_dim = c.config.get_int("attention_dim");
    o.dropout = c.config.get_float("dropout_rate");
    o.click_predictor = models::click_predictor_from_name(c.config.get_string("click_predictor"));
    o.mask_history = c.config.get_bool("mask_history");
    o.init_seed = static_cast<std::uint64_t>(c.config.get_int("seed"));
    model_ = models::NamlModel(o);
    model_->to(device_);
    table_ = std::make_unique<loader::NewsTable>(host.to(device_));
    shard_sizes_ = loader::TrainSamples::read_shard_sizes(corpus_);
  }

  torch::nn::Module& model() override { return *model_; }
  std::string default_validation_metric() const override { return "auc"; }
  std::vector<std::int64_t> shard_sizes() const override { return shard_sizes_; }

  void begin_epoch(std::int64_t epoch, std::vector<std::int64_t> samples, std::int64_t batch_size,
                   std::int64_t skip_batches) override {
    batcher_.reset();
    const bool loaded =
        samples_ && std::all_of(samples.begin(), samples.end(),
                                [&](std::int64_t s) { return samples_->contains(s); });
    if (!loaded) {
      loader::TrainSamplesOptions options;
      options.max_history_num = static_cast<std::int32_t>(config_.get_int("max_history_num"));
      samples_.reset();
      samples_.emplace(loader::TrainSamples::load_for_samples(corpus_, samples, options));
    }
    const auto skip = std::min<std::int64_t>(skip_batches * batch_size,
                                             static_cast<std::int64_t>(samples.size()));
    samples.erase(samples.begin(), samples.begin() + skip);
    loader::NamlBatcherOptions options;
    options.batch_size = batch_size;
    options.negative_sample_num = static_cast<std::int32_t>(config_.get_int("negative_sample_num"));
    options.dedup = config_.get_bool("dedup_news");
    options.seed = static_cast<std::uint64_t>(config_.get_int("seed"));
    options.epoch = epoch;
    options.threads = static_cast<std::int32_t>(config_.get_int("loader_threads"));
    options.device = device_;
    batcher_ =
        std::make_unique<loader::NamlBatcher>(*samples_, *table_, std::move(samples), options);
    model_->train();
  }

  std::optional<StepLoss> next_loss() override {
    RSDIST_CHECK(batcher_ != nullptr, "next_loss() before begin_epoch()");
    std::optional<models::ClickBatch> batch = batcher_->next();
    if (!batch) return std::nullopt;
    const at::Tensor logits = model_->forward(*batch);
    return StepLoss{models::negative_log_softmax_loss(logits), batch->candidate_index.size(0), {}};
  }

  std::string loader_summary() const override {
    if (!batcher_) return {};
    const auto& s = batcher_->statistics();
    return fmt::format(
        "loader wait {:.2f} s, news encoded per batch {:.0f} of {:.0f} slots ({:.0f}%)",
        s.wait_seconds, s.mean_news_rows(), s.mean_news_slots(), 100.0 * s.dedup_ratio());
  }

  bool has_split(Split split) const override {
    return fs::exists(corpus_ / (split == Split::kDev ? "dev.h5" : "test.h5"));
  }

  bool split_labeled(Split split) const override {
    const auto& e = impressions(split);
    return std::none_of(e.label.begin(), e.label.end(), [](std::int32_t l) { return l < 0; });
  }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    const loader::EvalImpressions& e = impressions(split);
    const loader::ImpressionRange range = e.range_for(options.rank, options.world);
    const std::vector<float> scores = score_range(e, range);
    Metrics metrics;
    if (split_labeled(split)) {
      const auto first =
          static_cast<std::size_t>(e.candidate_offsets[static_cast<std::size_t>(range.begin)]);
      std::vector<std::int64_t> offsets;
      for (std::int64_t i = range.begin; i <= range.end; ++i) {
        offsets.push_back(e.candidate_offsets[static_cast<std::size_t>(i)] -
                          static_cast<std::int64_t>(first));
      }
      const eval::MindMetrics local = eval::score_impressions(
          scores, std::span<const std::int32_t>(e.label).subspan(first, scores.size()), offsets);
      const auto packed = local.pack();
      const eval::MindResult r =
          eval::MindMetrics::unpack(ddp::all_reduce_sum(comm, packed, device_)).result();
      metrics = {{"auc", r.auc},
                 {"mrr", r.mrr},
                 {"ndcg5", r.ndcg5},
                 {"ndcg10", r.ndcg10},
                 {"impressions", static_cast<double>(r.impressions)},
                 {"skipped_impressions", static_cast<double>(r.skipped)}};
    }
    if (options.prediction_file) {
      at::Tensor local = at::from_blob(const_cast<float*>(scores.data()),
                                       {static_cast<std::int64_t>(scores.size())}, at::kFloat)
                             .clone()
                             .to(device_);
      const at::Tensor all = ddp::all_gather_concat(comm, local).cpu().contiguous();
      if (options.rank == 0) {
        RSDIST_CHECK(all.numel() == e.candidates(), "gathered {} scores for {} candidates",
                     all.numel(), e.candidates());
        eval::write_mind_prediction(
            *options.prediction_file, e.candidate_offsets,
            std::span<const float>(all.data_ptr<float>(), static_cast<std::size_t>(all.numel())));
      }
    }
    return metrics;
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    const loader::EvalImpressions& e = impressions(split);
    const auto dictionaries = nlohmann::json::parse(std::ifstream(corpus_ / "dictionaries.json"));
    const auto& user_names = dictionaries.at("users");
    const auto& news_names = dictionaries.at("news");
    // Each user's latest impression in the split carries the history to recommend from.
    std::unordered_map<std::string, std::int64_t> latest;
    std::vector<std::string> order;
    for (std::int64_t i = 0; i < e.size(); ++i) {
      const auto u = static_cast<std::size_t>(e.user[static_cast<std::size_t>(i)]);
      if (u == 0) continue;  // users unseen in train have no name to ask for
      const std::string name = user_names.at(u).get<std::string>();
      if (latest.emplace(name, i).second) order.push_back(name);
      latest[name] = i;
    }
    std::vector<std::string> wanted = users;
    if (wanted.empty()) {
      order.resize(std::min<std::size_t>(order.size(), static_cast<std::size_t>(max_users)));
      wanted = order;
    }
    // The pool: every news shown as a candidate in the split.
    std::vector<std::int64_t> pool;
    {
      std::unordered_set<std::int32_t> seen;
      for (const std::int32_t n : e.candidate_news) {
        if (seen.insert(n).second) pool.push_back(n);
      }
    }
    at::NoGradGuard no_grad;
    model_->eval();
    const at::Tensor news = encode_all_news();
    const at::Tensor pool_index = long_tensor(pool).to(device_);
    const at::Tensor pool_vectors = news.index_select(0, pool_index);
    std::vector<Recommendation> out;
    for (const auto& name : wanted) {
      const auto it = latest.find(name);
      RSDIST_CHECK(it != latest.end(), "--users: '{}' has no impression in the {} split of {}",
                   name, split_name(split), corpus_.string());
      const loader::EvalHistoryBatch h =
          loader::eval_history_batch(e, {it->second, it->second + 1});
      const at::Tensor user = user_vectors(news, h);  // [1, D]
      const std::int64_t n = pool_index.size(0);
      at::Tensor scores =
          model_->score(user.expand({n, user.size(1)}), pool_vectors.unsqueeze(1)).view({n});
      // Already-read news are not recommended again.
      for (const std::int32_t read : e.history_of(it->second)) {
        if (read == 0) continue;
        const auto p = std::find(pool.begin(), pool.end(), read);
        if (p != pool.end()) scores[p - pool.begin()] = -std::numeric_limits<float>::infinity();
      }
      const auto [values, index] = at::topk(scores.to(at::kFloat), std::min(k, n));
      const at::Tensor v = values.cpu().contiguous(), ix = index.cpu().contiguous();
      Recommendation r;
      r.user = name;
      for (std::int64_t j = 0; j < v.numel(); ++j) {
        if (!std::isfinite(v.data_ptr<float>()[j])) break;
        r.items.push_back(news_names
                              .at(static_cast<std::size_t>(
                                  pool[static_cast<std::size_t>(ix.data_ptr<std::int64_t>()[j])]))
                              .get<std::string>());
        r.scores.push_back(v.data_ptr<float>()[j]);
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  const loader::EvalImpressions& impressions(Split split) const {
    auto it = eval_.find(split);
    if (it == eval_.end()) {
      RSDIST_CHECK(has_split(split), "{} has no {} split", corpus_.string(), split_name(split));
      loader::EvalImpressionsOptions options;
      options.max_history_num = static_cast<std::int32_t>(config_.get_int("max_history_num"));
      it =
          eval_.emplace(split, loader::EvalImpressions::load(corpus_, loader_split(split), options))
              .first;
    }
    return it->second;
  }

  // Every news of the table encoded once, [Nn, D] (eval mode, no grad).
  at::Tensor encode_all_news() {
    std::vector<at::Tensor> parts;
    const std::int64_t n = table_->num_news();
    for (std::int64_t begin = 0; begin < n; begin += kNewsChunk) {
      const std::int64_t end = std::min(n, begin + kNewsChunk);
      std::vector<std::int64_t> ids(static_cast<std::size_t>(end - begin));
      for (std::int64_t i = begin; i < end; ++i) ids[static_cast<std::size_t>(i - begin)] = i;
      parts.push_back(
          model_->encode_news(table_->gather(long_tensor(ids).to(device_))).to(at::kFloat));
    }
    return at::cat(parts, 0);
  }

  at::Tensor user_vectors(const at::Tensor& news, const loader::EvalHistoryBatch& h) {
    const at::Tensor index = h.history_index.to(device_);
    const at::Tensor history =
        news.index_select(0, index.flatten()).view({index.size(0), index.size(1), news.size(1)});
    return model_->encode_users(history, h.history_mask.to(device_)).to(at::kFloat);
  }

  // Scores of every candidate of impressions `range`, in candidate order.
  std::vector<float> score_range(const loader::EvalImpressions& e, loader::ImpressionRange range) {
    at::NoGradGuard no_grad;
    model_->eval();
    const at::Tensor news = encode_all_news();
    std::vector<float> scores;
    for (std::int64_t begin = range.begin; begin < range.end; begin += kImpressionChunk) {
      const std::int64_t end = std::min(range.end, begin + kImpressionChunk);
      const at::Tensor users = user_vectors(news, loader::eval_history_batch(e, {begin, end}));
      std::vector<std::int64_t> owner, candidate;
      for (std::int64_t i = begin; i < end; ++i) {
        for (const std::int32_t c : e.candidates_of(i)) {
          owner.push_back(i - begin);
          candidate.push_back(c);
        }
      }
      if (candidate.empty()) continue;
      const at::Tensor u = users.index_select(0, long_tensor(owner).to(device_));
      const at::Tensor c = news.index_select(0, long_tensor(candidate).to(device_)).unsqueeze(1);
      const at::Tensor s = model_->score(u, c).view({-1}).to(at::kFloat).cpu().contiguous();
      scores.insert(scores.end(), s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
    }
    model_->train();
    return scores;
  }

  const Config& config_;
  fs::path corpus_;
  at::Device device_;
  int rank_;
  int world_;
  models::NamlModel model_{nullptr};
  std::unique_ptr<loader::NewsTable> table_;
  std::vector<std::int64_t> shard_sizes_;
  std::optional<loader::TrainSamples> samples_;
  std::unique_ptr<loader::NamlBatcher> batcher_;
  mutable std::map<Split, loader::EvalImpressions> eval_;
};

}  // namespace

std::unique_ptr<Task> make_naml_task(const TaskContext& context) {
  return std::make_unique<NamlTask>(context);
}

}  // namespace rsdist::train
