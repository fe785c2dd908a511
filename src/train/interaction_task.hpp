// What every pointwise model of an interaction-matrix corpus (`rsdist preprocess ratings`) shares
// as a trainer Task: the corpus, its training instances (loader/ratings/training_interactions.hpp:
// the ratings themselves, or each positive with `negatives` items drawn afresh per epoch) as the
// sampler's one shard, and the epoch's batches (InteractionBatcher). A family derives from it and
// says how a batch becomes a loss, how it evaluates and what it recommends: NCF
// (families/ncf/) regresses ratings, GMF / MLP / NeuMF (families/neumf/) classify clicks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/ratings/ratings_corpus.hpp"
#include "loader/ratings/interaction_batcher.hpp"
#include "loader/ratings/training_interactions.hpp"
#include "train/task.hpp"

namespace rsdist::train {

class InteractionTask : public Task {
 public:
  std::vector<std::int64_t> shard_sizes() const override { return {instances_->size()}; }
  void begin_epoch(EpochPlan plan) override;
  std::optional<StepLoss> next_loss() override;
  std::string epoch_summary() const override;

 protected:
  // Reads --corpus; `negatives` per positive (0: every rating is an instance, with its rating as
  // the target).
  InteractionTask(const TaskContext& context, std::int64_t negatives);

  // The loss of a training batch (the model in training mode).
  virtual at::Tensor batch_loss(const models::InteractionBatch& batch) = 0;

  const ratings::RatingsCorpus& corpus() const { return corpus_; }
  const std::filesystem::path& corpus_dir() const { return corpus_dir_; }
  const Config& config() const { return config_; }
  at::Device device() const { return device_; }

 private:
  const Config& config_;
  std::filesystem::path corpus_dir_;
  at::Device device_;
  ratings::RatingsCorpus corpus_;
  std::unique_ptr<loader::TrainingInteractions> instances_;
  std::unique_ptr<loader::InteractionBatcher> batcher_;
};

}  // namespace rsdist::train
