#include "families/s3rec/s3rec_task.hpp"

#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "data/seq/seq_corpus.hpp"
#include "loader/seq/s3rec_batches.hpp"
#include "loader/seq/seq_eval_split.hpp"
#include "models/s3rec_model.hpp"
#include "train/ranking_evaluation.hpp"
#include "train/sharded_item_table.hpp"
#include "train/sequence_options.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

class S3RecTask final : public Task {
 public:
  S3RecTask(const TaskContext& c, S3RecStage stage)
      : config_(c.config),
        corpus_dir_(c.config.get_string("corpus")),
        device_(c.device),
        stage_(stage),
        ranking_(ranking_settings(c.config)) {
    corpus_ = seq::read_seq_corpus(corpus_dir_);
    models::S3RecOptions o;
    o.num_items = corpus_.sequences.max_item();
    o.pretraining = stage == S3RecStage::kPretrain;
    if (o.pretraining) {
      RSDIST_CHECK(!corpus_.attributes.empty(),
                   "--corpus {}: S3-Rec pretraining needs item attributes; preprocess the corpus "
                   "with `rsdist preprocess seq --attributes ITEM2ATTRIBUTES.json`",
                   corpus_dir_.string());
      o.num_attributes = corpus_.attributes.num_attributes;
    }
    const SequenceModelSettings sequence = sequence_model_settings(c.config);
    o.hidden_size = sequence.hidden_size;
    o.max_seq_length = sequence.max_seq_length;
    o.num_layers = sequence.num_layers;
    o.num_heads = sequence.num_heads;
    o.hidden_dropout = sequence.hidden_dropout;
    o.attention_dropout = c.config.get_float("attention_probs_dropout_prob");
    o.initializer_range = c.config.get_float("initializer_range");
    o.init_seed = static_cast<std::uint64_t>(c.config.get_int("seed"));
    // Rows 0..I + 1: the mask id is the table's last row.
    o.item_table = item_table_of(c.config, c.comm, o.num_items + 2);
    sharding_ = sharding_of(*o.item_table, o.num_items + 2);
    model_ = models::S3RecModel(o);
    model_->to(device_);
    if (o.pretraining) {
      model_->set_item_attributes(at::tensor(corpus_.attributes.offsets),
                                  at::tensor(corpus_.attributes.attributes));
      pretrain_samples_ = loader::s3rec_pretrain_samples(corpus_, o.max_seq_length);
      weights_ = {c.config.get_float("aap_weight"), c.config.get_float("mip_weight"),
                  c.config.get_float("map_weight"), c.config.get_float("sp_weight")};
    } else {
      finetune_rows_ = loader::s3rec_finetune_rows(corpus_);
    }
    RSDIST_CHECK(shard_sizes().front() > 0, "--corpus {}: no training samples for S3-Rec",
                 corpus_dir_.string());
  }

  torch::nn::Module& model() override { return *model_; }
  std::vector<std::string> sharded_parameters() const override {
    if (!sharding_) return {};
    return {"item_embeddings.weight"};
  }
  std::vector<std::int64_t> shard_sizes() const override {
    return {static_cast<std::int64_t>(pretraining() ? pretrain_samples_.size()
                                                    : finetune_rows_.size())};
  }

  void begin_epoch(EpochPlan plan) override {
    pretrain_batcher_.reset();
    finetune_batcher_.reset();
    loader::S3RecBatchOptions o;
    o.max_seq_length = model_->options().max_seq_length;
    o.mask_p = config_.get_float("mask_p");
    o.seed = static_cast<std::uint64_t>(config_.get_int("seed"));
    o.epoch = plan.epoch;
    o.pin_memory = device_.is_cuda();
    const auto threads = static_cast<std::int32_t>(config_.get_int("loader_threads"));
    const std::int64_t batch_size = plan.batch_size;
    if (pretraining()) {
      pretrain_batcher_ = std::make_unique<loader::S3RecBatcher<models::S3RecPretrainBatch>>(
          std::move(plan).remaining_samples(), batch_size, threads, device_,
          [this, o](std::span<const std::int64_t> ids) {
            return loader::build_s3rec_pretrain_batch(corpus_, pretrain_samples_, ids, o);
          });
    } else {
      finetune_batcher_ = std::make_unique<loader::S3RecBatcher<models::S3RecFinetuneBatch>>(
          std::move(plan).remaining_samples(), batch_size, threads, device_,
          [this, o](std::span<const std::int64_t> ids) {
            return loader::build_s3rec_finetune_batch(corpus_, finetune_rows_, ids, o);
          });
    }
    model_->train();
  }

  std::optional<StepLoss> next_loss() override {
    if (pretraining()) {
      RSDIST_CHECK(pretrain_batcher_ != nullptr, "next_loss() before begin_epoch()");
      std::optional<models::S3RecPretrainBatch> batch = pretrain_batcher_->next();
      if (!batch) return std::nullopt;
      const models::S3RecPretrainLosses l = model_->pretrain_losses(*batch, weights_);
      return StepLoss{l.joint,
                      batch->size(),
                      {{"aap", l.aap.detach()},
                       {"mip", l.mip.detach()},
                       {"map", l.map.detach()},
                       {"sp", l.sp.detach()}}};
    }
    RSDIST_CHECK(finetune_batcher_ != nullptr, "next_loss() before begin_epoch()");
    std::optional<models::S3RecFinetuneBatch> batch = finetune_batcher_->next();
    if (!batch) return std::nullopt;
    return StepLoss{model_->finetune_loss(*batch), batch->size(), {}};
  }

  std::string epoch_summary() const override {
    const loader::S3RecLoaderStatistics* s =
        pretrain_batcher_   ? &pretrain_batcher_->statistics()
        : finetune_batcher_ ? &finetune_batcher_->statistics()
                            : nullptr;
    if (s == nullptr) return {};
    return fmt::format("loader wait {:.2f} s; building batches {:.2f} s on the loader threads",
                       s->wait_seconds, s->build_seconds);
  }

  // A pretraining run is judged by nothing: `best` is its newest epoch.
  bool has_split(Split) const override { return !pretraining(); }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    refuse_if_pretraining("evaluated");
    const loader::SeqEvalSplit eval_split(corpus_, examples_of(split));
    model_->eval();
    const Metrics metrics =
        evaluate_ranking(ranking_source(eval_split), ranking_, comm, options, device_);
    model_->train();
    return metrics;
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    refuse_if_pretraining("asked for recommendations");
    const loader::SeqEvalSplit eval_split(corpus_, examples_of(split));
    model_->eval();
    return recommend_ranking(
        ranking_source(eval_split), eval_split.select(users, max_users, corpus_dir_.string()), k,
        ranking_, [&](std::int64_t e) { return eval_split.user_name(e); },
        [](std::int64_t item) { return std::to_string(item); });
  }

 private:
  bool pretraining() const { return stage_ == S3RecStage::kPretrain; }

  void refuse_if_pretraining(const char* what) const {
    RSDIST_CHECK(!pretraining(),
                 "an S3-Rec pretraining run cannot be {}: fine-tune it first (rsdist train --model "
                 "s3rec --stage finetune --init_from RUN)",
                 what);
  }

  const seq::PrefixExamples& examples_of(Split split) const {
    return split == Split::kDev ? corpus_.splits.valid : corpus_.splits.test;
  }

  // Full ranking, and the sampled protocol when the corpus stores candidates; the last position's
  // representation of a chunk is computed once for both.
  RankingSource ranking_source(const loader::SeqEvalSplit& eval_split) {
    RankingSource source = sequence_ranking_source(eval_split);
    // Chunk indices are >= 0, and -1 for recommendations: -2 is no chunk.
    auto cache = std::make_shared<std::pair<std::int64_t, at::Tensor>>(-2, at::Tensor());
    const auto representation = [this, &eval_split, cache](const RankingChunk& chunk) {
      if (cache->first != chunk.index) {
        const at::NoGradGuard no_grad;
        const at::Tensor inputs = loader::s3rec_eval_inputs(
            corpus_, eval_split.examples(), chunk.users, model_->options().max_seq_length);
        *cache = {chunk.index, model_->user_representation(inputs.to(device_))};
      }
      return cache->second;
    };
    if (sharding_) {
      // This rank's items; the mask id, a row of the table but no item, never ranked.
      source.sharding = sharding_;
      source.shard_scores = [this, representation](const RankingChunk& chunk) {
        const at::NoGradGuard no_grad;
        at::Tensor scores = model_->score_items(representation(chunk));
        const std::int64_t mask = model_->mask_id();
        if (sharding_->owner(mask) == sharding_->rank) {
          scores.select(1, sharding_->local_index(mask)).fill_(-INFINITY);
        }
        return scores;
      };
    } else {
      source.full_scores = [this, representation](const RankingChunk& chunk) {
        const at::NoGradGuard no_grad;
        return model_->score_items(representation(chunk));
      };
    }
    if (eval_split.has_candidates()) {
      source.sampled_scores = [this, &eval_split, representation](const RankingChunk& chunk) {
        const at::NoGradGuard no_grad;
        return model_->score_candidates(representation(chunk),
                                        sequence_chunk_candidates(eval_split, chunk, device_));
      };
    }
    return source;
  }

  const Config& config_;
  fs::path corpus_dir_;
  at::Device device_;
  S3RecStage stage_;
  RankingSettings ranking_;
  seq::SeqCorpus corpus_;
  std::optional<ddp::ItemSharding> sharding_;  // --shard_items
  models::S3RecModel model_{nullptr};
  models::S3RecLossWeights weights_;
  std::vector<loader::S3RecPretrainSample> pretrain_samples_;
  std::vector<std::int64_t> finetune_rows_;
  std::unique_ptr<loader::S3RecBatcher<models::S3RecPretrainBatch>> pretrain_batcher_;
  std::unique_ptr<loader::S3RecBatcher<models::S3RecFinetuneBatch>> finetune_batcher_;
};

}  // namespace

std::unique_ptr<Task> make_s3rec_task(const TaskContext& context, S3RecStage stage) {
  return std::make_unique<S3RecTask>(context, stage);
}

}  // namespace rsdist::train
