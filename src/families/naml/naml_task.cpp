#include "families/naml/naml_task.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/from_blob.h>
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "loader/mind/click_batcher.hpp"
#include "loader/mind/eval_impressions.hpp"
#include "loader/mind/news_table.hpp"
#include "loader/mind/train_samples.hpp"
#include "models/click_losses.hpp"
#include "models/naml_model.hpp"
#include "train/impression_protocol.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

constexpr std::int64_t kNewsChunk = 2048;  // news encoded per forward at evaluation

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
  std::vector<std::int64_t> shard_sizes() const override { return shard_sizes_; }

  void begin_epoch(EpochPlan plan) override {
    batcher_.reset();
    std::vector<std::int64_t>& samples = plan.samples;
    const bool loaded =
        samples_ && std::all_of(samples.begin(), samples.end(),
                                [&](std::int64_t s) { return samples_->contains(s); });
    if (!loaded) {
      loader::TrainSamplesOptions options;
      options.max_history_num = static_cast<std::int32_t>(config_.get_int("max_history_num"));
      samples_.reset();
      samples_.emplace(loader::TrainSamples::load_for_samples(corpus_, samples, options));
    }
    const std::int64_t epoch = plan.epoch, batch_size = plan.batch_size;
    std::vector<std::int64_t> remaining = std::move(plan).remaining_samples();
    loader::ClickBatcherOptions options;
    options.batch_size = batch_size;
    options.negative_sample_num = static_cast<std::int32_t>(config_.get_int("negative_sample_num"));
    options.dedup = config_.get_bool("dedup_news");
    options.seed = static_cast<std::uint64_t>(config_.get_int("seed"));
    options.epoch = epoch;
    options.threads = static_cast<std::int32_t>(config_.get_int("loader_threads"));
    options.device = device_;
    batcher_ =
        std::make_unique<loader::ClickBatcher>(*samples_, *table_, std::move(remaining), options);
    model_->train();
  }

  std::optional<StepLoss> next_loss() override {
    RSDIST_CHECK(batcher_ != nullptr, "next_loss() before begin_epoch()");
    std::optional<models::ClickBatch> batch = batcher_->next();
    if (!batch) return std::nullopt;
    const at::Tensor logits = model_->forward(*batch);
    return StepLoss{models::negative_log_softmax_loss(logits), batch->candidate_index.size(0), {}};
  }

  std::string epoch_summary() const override {
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
    return evaluate_impressions(
        impressions(split),
        [&](loader::ImpressionRange range) { return score_range(impressions(split), range); },
        split_labeled(split), comm, options, device_);
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    at::NoGradGuard no_grad;
    model_->eval();
    const loader::EvalImpressions& e = impressions(split);
    const at::Tensor news = encode_all_news();
    const auto score = [&](std::int64_t impression, const at::Tensor& pool) {
      const at::Tensor user = user_vectors(
          news, loader::eval_history_batch(e, {impression, impression + 1}));  // [1, D]
      const std::int64_t n = pool.size(0);
      return model_->score(user.expand({n, user.size(1)}), news.index_select(0, pool).unsqueeze(1))
          .view({n});
    };
    return recommend_from_impressions(e, corpus_, split, users, k, max_users, score, device_);
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
    // Impressions per user-encoder forward.
    const std::int64_t chunk = config_.get_int("eval_batch_size");
    for (std::int64_t begin = range.begin; begin < range.end; begin += chunk) {
      const std::int64_t end = std::min(range.end, begin + chunk);
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
  std::unique_ptr<loader::ClickBatcher> batcher_;
  mutable std::map<Split, loader::EvalImpressions> eval_;
};

}  // namespace

std::unique_ptr<Task> make_naml_task(const TaskContext& context) {
  return std::make_unique<NamlTask>(context);
}

}  // namespace rsdist::train
