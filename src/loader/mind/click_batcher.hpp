// Training batches for the MIND click models (NAML first) in one rank's sample order for one
// epoch: the loader between DistributedSampler::epoch_indices and the model's forward.
//
// Background threads assemble each batch on the host (BatchAssembler: histories, masks, 1 + K
// candidates by negative sampling, users, de-duplicated news ids); next() hands the batches out
// in order (PrefetchingBatcher), moved to the model's device, with `news` gathered from the
// NewsTable there. For a CUDA device the host tensors are page-locked and copied with
// non_blocking=true on the consumer's current stream, and the gather runs on the device (no host
// round trip); for the CPU the workers gather too, so the training thread only takes the batch.
//
// Only memory is touched off the constructing thread: the TrainSamples and NewsTable were read
// up front and are immutable. The last batch may be partial. Destroying the batcher mid-epoch
// stops its threads promptly (see PrefetchingBatcher).
//
// Note [One encoding per distinct news]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// A batch of B samples has B * H history slots and B * (1 + K) candidate slots, but far fewer
// distinct news: users share popular news, an impression's clicks share its negatives, and every
// padded history slot is the <PAD> news 0. The news encoder (CNN + attention over title and
// abstract) is most of NAML's cost, so with `dedup` the batch lists each distinct news once in
// `news_ids` (first appearance order over the history slots row by row, then the candidate slots;
// <PAD> included whenever some history is padded) and `history_index` / `candidate_index` are rows
// of that list; the model encodes `news_ids` once and gathers rows. Without `dedup`, `news_ids` is
// every history slot then every candidate slot and the indices are an arange: the reference's
// layout, kept to measure the saving and to check that both describe the same news per slot
// (news_ids[history_index] and news_ids[candidate_index] are equal in the two modes). In training
// mode the encoder's dropout draws one mask per encoded row, so the slots that show one news share
// its dropout mask (the reference draws one per slot): each slot's mask is distributed as before,
// only their correlation differs.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "loader/mind/batch_assembly.hpp"
#include "loader/mind/negative_sampling.hpp"
#include "loader/mind/news_table.hpp"
#include "loader/mind/train_samples.hpp"
#include "loader/prefetching_batcher.hpp"
#include "models/click_batch.hpp"

namespace rsdist::loader {

struct ClickBatcherOptions {
  std::int64_t batch_size = 64;
  std::int32_t negative_sample_num = 4;  // K: candidates are the click + K negatives
  bool dedup = true;                     // Note [One encoding per distinct news]
  std::uint64_t seed = 0;                // negative sampling (negative_sampling.hpp)
  std::int64_t epoch = 0;
  std::int32_t threads = 2;           // background assemblers; 0 assembles inside next()
  std::int32_t prefetch_batches = 4;  // batches assembled ahead of the consumer, at most
  at::Device device = at::kCPU;       // where batches go; the NewsTable must already be there
};

// What the loader did over the batches delivered so far, for the training log.
struct LoaderStatistics {
  std::int64_t batches = 0;
  std::int64_t samples = 0;
  std::int64_t news_rows = 0;   // rows of news_ids, summed: the news the model encodes
  std::int64_t news_slots = 0;  // history + candidate slots, summed: the rows without dedup
  double wait_seconds = 0;      // time the consumer spent inside next() ("loader wait")

  double mean_news_rows() const { return batches ? double(news_rows) / double(batches) : 0.0; }
  double mean_news_slots() const { return batches ? double(news_slots) / double(batches) : 0.0; }
  // Encoded rows per slot: 1 without dedup, lower the more a batch's news repeat.
  double dedup_ratio() const { return news_slots ? double(news_rows) / double(news_slots) : 0.0; }
};

// One batch as a worker leaves it, for ClickBatcher::deliver.
struct AssembledClickBatch {
  HostBatch host;
  models::NewsInputs news;  // gathered by the worker when the device is the CPU
};

class ClickBatcher final
    : public PrefetchingBatcher<AssembledClickBatch, models::ClickBatch, LoaderStatistics> {
 public:
  // `order`: this rank's sample ids for the epoch, in training order. `samples` (holding them) and
  // `table` (on options.device) must outlive the batcher. next() rethrows a failure while
  // assembling a batch (e.g. a sample id out of range) in that batch's turn.
  ClickBatcher(const TrainSamples& samples, const NewsTable& table, std::vector<std::int64_t> order,
               const ClickBatcherOptions& options);
  ~ClickBatcher() override;

 private:
  AssembledClickBatch assemble(std::int64_t batch, int worker) override;
  models::ClickBatch deliver(AssembledClickBatch&& assembled,
                             LoaderStatistics& statistics) override;

  const NewsTable& table_;
  const ClickBatcherOptions options_;
  const NegativeSampler sampler_;
  const BatchAssembler assembler_;
  std::vector<NewsRows> rows_;  // scratch per worker
};

}  // namespace rsdist::loader
