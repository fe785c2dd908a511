#include "families/multvae/multvae_task.hpp"

#include <ATen/Context.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/scalar_tensor.h>
#include <fmt/format.h>

#include <mutex>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "loader/ratings/ratings_eval_split.hpp"
#include "loader/ratings/user_row_batcher.hpp"
#include "models/multvae_model.hpp"
#include "train/ranking_evaluation.hpp"
#include "train/sharded_item_table.hpp"

namespace rsdist::train {
namespace {

constexpr std::uint64_t kNoiseStream = 0x6d756c7476616575ull;  // "multvaeu"

class MultVaeTask final : public Task {
 public:
  explicit MultVaeTask(const TaskContext& c)
      : config_(c.config),
        corpus_dir_(c.config.get_string("corpus")),
        device_(c.device),
        rank_(c.rank),
        corpus_(ratings::read_ratings_corpus(corpus_dir_)),
        ranking_(ranking_settings(c.config)),
        seed_(static_cast<std::uint64_t>(c.config.get_int("seed"))),
        kl_cap_(c.config.get_float("kl_cap")),
        kl_anneal_steps_(c.config.get_int("kl_anneal_steps")) {
    ranking_.item0_is_padding = false;
    const ratings::UserItemMatrix& train = corpus_.parts.at("train");
    for (std::int64_t u = 0; u < train.num_users(); ++u) {
      if (train.size_of(u) > 0) train_users_.push_back(u);
    }
    RSDIST_CHECK(!train_users_.empty(), "--corpus {}: no user has training interactions",
                 corpus_dir_.string());
    models::MultVaeOptions o;
    o.num_items = corpus_.num_items();
    o.dims = c.config.get_int_list("multvae_dims", 1);
    o.dropout = c.config.get_float("input_dropout");
    o.order = models::input_order(c.config.get_string("input_order"));
    o.init_seed = seed_;
    o.item_table = item_table_of(c.config, c.comm, o.num_items);
    sharding_ = sharding_of(*o.item_table, o.num_items);
    if (sharding_) {
      const std::string last = "decoder." + std::to_string(o.dims.size() - 1);
      sharded_ = {"encoder.0.item_weight", last + ".weight", last + ".bias"};
    }
    model_ = models::MultVaeModel(o);
    model_->to(device_);
    noise_ = at::globalContext().defaultGenerator(device_).clone();
  }

  torch::nn::Module& model() override { return *model_; }
  std::vector<std::string> sharded_parameters() const override { return sharded_; }

  std::vector<std::int64_t> shard_sizes() const override {
    return {static_cast<std::int64_t>(train_users_.size())};
  }

  void begin_epoch(EpochPlan plan) override {
    batcher_.reset();
    step_ = plan.global_step;
    first_step_ = step_;
    loader::UserRowBatcherOptions options;
    options.batch_size = plan.batch_size;
    options.threads = static_cast<std::int32_t>(config_.get_int("loader_threads"));
    options.device = device_;
    batcher_ = std::make_unique<loader::UserRowBatcher>(
        corpus_.parts.at("train"), train_users_, std::move(plan).remaining_samples(), options);
    model_->train();
  }

  std::optional<StepLoss> next_loss() override {
    RSDIST_CHECK(batcher_ != nullptr, "next_loss() before begin_epoch()");
    std::optional<models::SparseRows> rows = batcher_->next();
    if (!rows) return std::nullopt;
    {
      const std::lock_guard<std::mutex> lock(noise_.mutex());
      noise_.set_current_seed(
          Rng::stream(seed_, {kNoiseStream, static_cast<std::uint64_t>(step_),
                              static_cast<std::uint64_t>(rank_)})
              .next_u64());
    }
    const double beta = models::kl_weight(step_, kl_cap_, kl_anneal_steps_);
    ++step_;
    const models::MultVaeLoss loss =
        model_->loss(model_->forward(*rows, model_->draw_noise(*rows, noise_)), *rows, beta);
    const at::Tensor weight =
        at::scalar_tensor(beta, at::TensorOptions().dtype(at::kFloat).device(device_));
    return StepLoss{loss.loss,
                    rows->num_rows,
                    {{"neg_ll", loss.neg_ll.detach()}, {"kl", loss.kl.detach()}, {"kl_weight", weight}}};
  }

  std::string epoch_summary() const override {
    if (!batcher_) return {};
    const loader::UserRowLoaderStatistics& s = batcher_->statistics();
    return fmt::format(
        "loader wait {:.2f} s; assembling {:.2f} s on the loader threads; {} users, {} "
        "interactions; KL weight {:.3g} -> {:.3g}",
        s.wait_seconds, s.build_seconds, s.users, s.entries,
        models::kl_weight(first_step_, kl_cap_, kl_anneal_steps_),
        models::kl_weight(std::max(first_step_, step_ - 1), kl_cap_, kl_anneal_steps_));
  }

  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    const loader::RatingsEvalSplit eval_split(corpus_, split == Split::kTest);
    model_->eval();
    const Metrics metrics = evaluate_ranking(ranking_source(eval_split, &comm), ranking_, comm,
                                             options, device_);
    model_->train();
    return metrics;
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    const loader::RatingsEvalSplit eval_split(corpus_, split == Split::kTest);
    model_->eval();
    return recommend_ratings(ranking_source(eval_split, nullptr), eval_split, users, k, max_users,
                             ranking_, corpus_dir_.string());
  }

 private:
  // The logits of a chunk's users from their known items (z = mu, no dropout); with a sharded
  // table, of this rank's items (`comm` carries the sampled protocol's candidates; null: one
  // process).
  RankingSource ranking_source(const loader::RatingsEvalSplit& split, ddp::Communicator* comm) {
    RankingSource source = ratings_ranking_source(split);
    auto scores = [this, &split](const RankingChunk& chunk) {
      const at::NoGradGuard no_grad;
      return model_->score(ratings_chunk_known_rows(split, chunk, device_));
    };
    if (sharding_) {
      source.sharding = sharding_;
      source.shard_scores = scores;
      if (comm) sample_from_full_scores(source, split, device_, comm);
    } else {
      source.full_scores = scores;
      sample_from_full_scores(source, split, device_);
    }
    return source;
  }

  const Config& config_;
  std::filesystem::path corpus_dir_;
  at::Device device_;
  int rank_ = 0;
  ratings::RatingsCorpus corpus_;
  RankingSettings ranking_;
  std::uint64_t seed_ = 0;
  double kl_cap_ = 0.2;
  std::int64_t kl_anneal_steps_ = 0;
  std::vector<std::int64_t> train_users_;  // sample -> user
  std::optional<ddp::ItemSharding> sharding_;  // --shard_items
  std::vector<std::string> sharded_;
  models::MultVaeModel model_{nullptr};
  at::Generator noise_;
  std::unique_ptr<loader::UserRowBatcher> batcher_;
  std::int64_t step_ = 0, first_step_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_multvae_task(const TaskContext& context) {
  return std::make_unique<MultVaeTask>(context);
}

}  // namespace rsdist::train
