#include "families/gcl4sr/gcl4sr_task.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/matmul.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/seq/seq_corpus.hpp"
#include "loader/seq/seq_batcher.hpp"
#include "loader/seq/seq_eval_split.hpp"
#include "models/gcl4sr_model.hpp"
#include "train/ranking_evaluation.hpp"
#include "train/sharded_item_table.hpp"
#include "train/sequence_options.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

constexpr std::uint64_t kEvalStream = 0x6576616c;  // "eval": graph views of evaluation chunks

class Gcl4srTask final : public Task {
 public:
  explicit Gcl4srTask(const TaskContext& c)
      : config_(c.config),
        corpus_dir_(c.config.get_string("corpus")),
        device_(c.device),
        ranking_(ranking_settings(c.config)) {
    corpus_ = seq::read_seq_corpus(corpus_dir_);
    RSDIST_CHECK(!corpus_.splits.train.rows.empty(), "--corpus {}: no training examples",
                 corpus_dir_.string());
    models::Gcl4srOptions o;
    o.num_users = static_cast<std::int64_t>(corpus_.sequences.num_sequences());
    o.num_items = corpus_.graph.num_nodes;
    const SequenceModelSettings sequence = sequence_model_settings(c.config);
    o.hidden_size = sequence.hidden_size;
    o.max_seq_length = sequence.max_seq_length;
    o.num_layers = sequence.num_layers;
    o.num_heads = sequence.num_heads;
    o.dropout = sequence.hidden_dropout;
    o.init_seed = static_cast<std::uint64_t>(c.config.get_int("seed"));
    o.item_table = item_table_of(c.config, c.comm, o.num_items);
    sharding_ = sharding_of(*o.item_table, o.num_items);
    model_ = models::Gcl4srModel(o);
    model_->to(device_);
    weights_.lambda_gcl = c.config.get_float("lambda_gcl");
    weights_.lambda_mmd = c.config.get_float("lambda_mmd");
    weights_.temperature = c.config.get_float("temperature");
    batch_options_.max_seq_length = o.max_seq_length;
    batch_options_.sample_size = static_cast<int>(c.config.get_int("sample_size_hop1"));
    rank_ = c.rank;
  }

  torch::nn::Module& model() override { return *model_; }
  std::vector<std::string> sharded_parameters() const override {
    if (!sharding_) return {};
    return {"item_embeddings.weight"};
  }
  std::vector<std::int64_t> shard_sizes() const override {
    return {static_cast<std::int64_t>(corpus_.splits.train.size())};
  }
  double learning_rate_factor(std::int64_t epoch) const override {
    return std::pow(config_.get_float("lr_decay"),
                    static_cast<double>(epoch / config_.get_int("lr_decay_every")));
  }

  void begin_epoch(EpochPlan plan) override {
    batcher_.reset();
    loader::SeqBatcherOptions options;
    options.batch_size = plan.batch_size;
    options.batch = batch_options_;
    options.seed = static_cast<std::uint64_t>(config_.get_int("seed"));
    options.epoch = plan.epoch;
    options.rank = rank_;
    options.first_batch = plan.skip_batches;
    options.threads = static_cast<std::int32_t>(config_.get_int("loader_threads"));
    options.device = device_;
    batcher_ = std::make_unique<loader::SeqBatcher>(corpus_, corpus_.splits.train,
                                                    std::move(plan).remaining_samples(), options);
    model_->train();
  }

  std::optional<StepLoss> next_loss() override {
    RSDIST_CHECK(batcher_ != nullptr, "next_loss() before begin_epoch()");
    std::optional<models::SeqBatch> batch = batcher_->next();
    if (!batch) return std::nullopt;
    const models::Gcl4srLosses l = model_->losses(*batch, weights_);
    return StepLoss{l.total,
                    batch->size(),
                    {{"main", l.main.detach()}, {"gcl", l.gcl.detach()}, {"mmd", l.mmd.detach()}}};
  }

  std::string epoch_summary() const override {
    if (!batcher_) return {};
    const loader::SeqLoaderStatistics s = batcher_->statistics();
    return fmt::format(
        "loader wait {:.2f} s; building batches {:.2f} s on the loader threads, of which "
        "neighbour sampling {:.2f} s; {:.0f} sampled edges per batch",
        s.wait_seconds, s.build_seconds, s.sample_seconds,
        s.batches ? static_cast<double>(s.edges) / static_cast<double>(s.batches) : 0.0);
  }

  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    const loader::SeqEvalSplit eval_split(corpus_, examples_of(split));
    model_->eval();
    const Metrics metrics =
        evaluate_ranking(ranking_source(split, eval_split), ranking_, comm, options, device_);
    model_->train();
    return metrics;
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    const loader::SeqEvalSplit eval_split(corpus_, examples_of(split));
    model_->eval();
    return recommend_ranking(
        ranking_source(split, eval_split),
        eval_split.select(users, max_users, corpus_dir_.string()), k, ranking_,
        [&](std::int64_t e) { return eval_split.user_name(e); },
        [](std::int64_t item) { return std::to_string(item); });
  }

 private:
  // Every item scored by the user representation of the split's examples; chunk c's graph views
  // come from the stream (seed, split, c), the same on any rank.
  RankingSource ranking_source(Split split, const loader::SeqEvalSplit& eval_split) {
    RankingSource source = sequence_ranking_source(eval_split);
    auto scores = [this, split, &eval_split](const RankingChunk& chunk) {
      const at::NoGradGuard no_grad;
      return at::matmul(
          user_representation(eval_split.examples(), chunk.users, eval_stream(split, chunk.index)),
          model_->item_embedding().t());
    };
    // With a sharded table, the item rows of this rank (Note [Cyclic item sharding]).
    if (sharding_) {
      source.shard_scores = scores;
      source.sharding = sharding_;
    } else {
      source.full_scores = scores;
    }
    return source;
  }

  const seq::PrefixExamples& examples_of(Split split) const {
    return split == Split::kDev ? corpus_.splits.valid : corpus_.splits.test;
  }

  Rng eval_stream(Split split, std::int64_t chunk) const {
    return Rng::stream(
        static_cast<std::uint64_t>(config_.get_int("seed")),
        {kEvalStream, static_cast<std::uint64_t>(split), static_cast<std::uint64_t>(chunk)});
  }

  // Eval-mode user representations of examples `ids`, [B, D] on the device.
  at::Tensor user_representation(const seq::PrefixExamples& examples,
                                 const std::vector<std::int64_t>& ids, Rng rng) {
    const models::SeqBatch batch =
        loader::build_seq_batch(corpus_, examples, ids, batch_options_, rng).to(device_);
    return model_->user_representation(batch);
  }

  const Config& config_;
  fs::path corpus_dir_;
  at::Device device_;
  RankingSettings ranking_;
  int rank_ = 0;
  seq::SeqCorpus corpus_;
  std::optional<ddp::ItemSharding> sharding_;  // --shard_items
  models::Gcl4srModel model_{nullptr};
  models::Gcl4srLossWeights weights_;
  loader::SeqBatchOptions batch_options_;
  std::unique_ptr<loader::SeqBatcher> batcher_;
};

}  // namespace

std::unique_ptr<Task> make_gcl4sr_task(const TaskContext& context) {
  return std::make_unique<Gcl4srTask>(context);
}

}  // namespace rsdist::train
