// Training batches of (user, item, target) for the pointwise models of an interaction-matrix
// corpus (NCF, GMF, MLP, NeuMF), in one rank's instance order for one epoch: batch j holds the
// instances order[j*B, (j+1)*B) of TrainingInteractions (training_interactions.hpp), assembled on
// the host by background threads (PrefetchingBatcher) and moved to the model's device (page-locked
// memory and non-blocking copies on CUDA). A batch's content depends only on the corpus, the seed,
// the epoch and its instance ids.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <vector>

#include "loader/prefetching_batcher.hpp"
#include "loader/ratings/training_interactions.hpp"
#include "models/interaction_batch.hpp"

namespace rsdist::loader {

struct InteractionBatcherOptions {
  std::int64_t batch_size = 256;
  std::int64_t epoch = 0;
  std::int32_t threads = 1;           // background assemblers; 0 assembles inside next()
  std::int32_t prefetch_batches = 8;  // batches assembled ahead of the consumer, at most
  at::Device device = at::kCPU;
};

struct InteractionLoaderStatistics {
  std::int64_t batches = 0;
  std::int64_t samples = 0;
  std::int64_t negatives = 0;  // instances with target 0 drawn as negatives
  double wait_seconds = 0;     // consumer time inside next()
  double build_seconds = 0;    // worker time assembling, summed over workers
};

struct AssembledInteractions {
  models::InteractionBatch batch;  // on the host
  std::int64_t negatives = 0;
  double build_seconds = 0;
};

class InteractionBatcher final
    : public PrefetchingBatcher<AssembledInteractions, models::InteractionBatch,
                                InteractionLoaderStatistics> {
 public:
  // `order`: instance ids of `instances` (which must outlive this), in training order.
  InteractionBatcher(const TrainingInteractions& instances, std::vector<std::int64_t> order,
                     const InteractionBatcherOptions& options);
  ~InteractionBatcher() override;

 private:
  AssembledInteractions assemble(std::int64_t batch, int worker) override;
  models::InteractionBatch deliver(AssembledInteractions&& assembled,
                                   InteractionLoaderStatistics& statistics) override;

  const TrainingInteractions& instances_;
  const InteractionBatcherOptions options_;
};

}  // namespace rsdist::loader
