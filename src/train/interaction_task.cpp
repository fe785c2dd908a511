#include "train/interaction_task.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"

namespace rsdist::train {

InteractionTask::InteractionTask(const TaskContext& context, std::int64_t negatives)
    : config_(context.config),
      corpus_dir_(context.config.get_string("corpus")),
      device_(context.device),
      corpus_(ratings::read_ratings_corpus(corpus_dir_)) {
  const ratings::UserItemMatrix& train = corpus_.parts.at("train");
  RSDIST_CHECK(train.num_interactions() > 0, "--corpus {}: no training interactions",
               corpus_dir_.string());
  instances_ = std::make_unique<loader::TrainingInteractions>(
      train, corpus_.num_items(), negatives,
      static_cast<std::uint64_t>(context.config.get_int("seed")));
}

void InteractionTask::begin_epoch(EpochPlan plan) {
  batcher_.reset();
  loader::InteractionBatcherOptions options;
  options.batch_size = plan.batch_size;
  options.epoch = plan.epoch;
  options.threads = static_cast<std::int32_t>(config_.get_int("loader_threads"));
  options.device = device_;
  batcher_ = std::make_unique<loader::InteractionBatcher>(
      *instances_, std::move(plan).remaining_samples(), options);
  model().train();
}

std::optional<StepLoss> InteractionTask::next_loss() {
  RSDIST_CHECK(batcher_ != nullptr, "next_loss() before begin_epoch()");
  std::optional<models::InteractionBatch> batch = batcher_->next();
  if (!batch) return std::nullopt;
  return StepLoss{batch_loss(*batch), batch->size(), {}};
}

std::string InteractionTask::epoch_summary() const {
  if (!batcher_) return {};
  const loader::InteractionLoaderStatistics& s = batcher_->statistics();
  return fmt::format("loader wait {:.2f} s; assembling {:.2f} s on the loader threads; {} sampled "
                     "negatives",
                     s.wait_seconds, s.build_seconds, s.negatives);
}

}  // namespace rsdist::train
