// Training batches for GCL4SR in one rank's example order for one epoch: the loader between the
// sampler's epoch order and the model's forward.
//
// Background threads build each batch on the host (build_seq_batch: windows, users, targets and
// the two sampled graph views); next() hands them out in order (PrefetchingBatcher), moved to the
// model's device. For a CUDA device the host tensors are page-locked and copied with
// non_blocking=true on the consumer's current stream; for the CPU the batch is handed over as
// built.
//
// Batch j (0-based, local to this batcher) holds order[j*B, (j+1)*B) (the last one may be partial)
// and draws its graph views from Rng::stream(seed, {epoch, first_batch + j, rank}). Its content is
// therefore a pure function of the corpus, the order and those ids: the same for any thread count,
// and a resumed epoch (the order without its first k*B ids, first_batch = k) gets the very batches
// the uninterrupted epoch would have had from batch k on.
//
// Only memory is touched off the constructing thread: the corpus and examples were read up front
// and are immutable (they must outlive the batcher). A failure while building a batch (e.g. an id
// out of range) is rethrown by next() in that batch's turn. Destroying the batcher mid-epoch stops
// its threads promptly (see PrefetchingBatcher).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <vector>

#include "data/seq/seq_corpus.hpp"
#include "loader/prefetching_batcher.hpp"
#include "loader/seq/seq_batch_builder.hpp"
#include "models/seq_batch.hpp"

namespace rsdist::loader {

struct SeqBatcherOptions {
  std::int64_t batch_size = 1024;
  SeqBatchOptions batch;  // pin_memory is set by the batcher (on for a CUDA device)
  std::uint64_t seed = 0;
  std::int64_t epoch = 0;
  std::int64_t rank = 0;
  std::int64_t first_batch = 0;       // the epoch-wide index of this batcher's first batch (resume)
  std::int32_t threads = 2;           // background builders; 0 builds inside next()
  std::int32_t prefetch_batches = 4;  // batches built ahead of the consumer, at most
  at::Device device = at::kCPU;
};

// What the loader did over the batches delivered so far, for the training log.
struct SeqLoaderStatistics {
  std::int64_t batches = 0;
  std::int64_t samples = 0;
  std::int64_t edges = 0;     // sampled edges, summed over both views
  double wait_seconds = 0;    // consumer time inside next() ("loader wait")
  double build_seconds = 0;   // worker time in build_seq_batch, summed over workers
  double sample_seconds = 0;  // of which inside the neighbour sampler
};

// One batch as a worker leaves it, for SeqBatcher::deliver.
struct BuiltSeqBatch {
  models::SeqBatch batch;  // on the host
  double build_seconds = 0;
  double sample_seconds = 0;
};

class SeqBatcher final
    : public PrefetchingBatcher<BuiltSeqBatch, models::SeqBatch, SeqLoaderStatistics> {
 public:
  // `order`: this rank's example ids (indices into `examples`) for the epoch, in training order.
  SeqBatcher(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
             std::vector<std::int64_t> order, const SeqBatcherOptions& options);
  ~SeqBatcher() override;

 private:
  BuiltSeqBatch assemble(std::int64_t batch, int worker) override;
  models::SeqBatch deliver(BuiltSeqBatch&& built, SeqLoaderStatistics& statistics) override;

  const seq::SeqCorpus& corpus_;
  const seq::PrefixExamples& examples_;
  const SeqBatcherOptions options_;
};

}  // namespace rsdist::loader
