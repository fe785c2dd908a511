// One training batch in index form, on the host: what ClickBatcher's threads build from a list of
// sample ids before the batch moves to the model's device (see Note [One encoding per distinct
// news] in click_batcher.hpp for the two layouts of `news_ids`).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <span>
#include <vector>

#include "loader/mind/negative_sampling.hpp"
#include "loader/mind/train_samples.hpp"

namespace rsdist::loader {

struct HostBatch {
  at::Tensor news_ids;          // [U] int64
  at::Tensor history_index;     // [B, H] int64 rows of news_ids
  at::Tensor history_mask;      // [B, H] float32, 1 on slots < history_length
  at::Tensor candidate_index;   // [B, 1 + K] int64 rows of news_ids, column 0 the click
  at::Tensor user;              // [B] int64
  std::int64_t news_slots = 0;  // B * (H + 1 + K): rows news_ids would have without de-duplication
};

// Maps news ids to rows of a batch's news list, first appearance first. Reused across batches by
// one thread (a dense table over every news: no hashing, cleared by visiting only what was set).
class NewsRows {
 public:
  explicit NewsRows(std::int64_t num_news);
  // The row of `news`, appending it when new. Throws when news is outside [0, num_news).
  std::int64_t row_of(std::int64_t news);
  const std::vector<std::int64_t>& news() const { return news_; }
  void clear();

 private:
  std::vector<std::int32_t> row_;  // per news: its row + 1, 0 when absent
  std::vector<std::int64_t> news_;
};

class BatchAssembler {
 public:
  // `samples` and `sampler` must outlive the assembler. `pinned`: allocate page-locked host memory
  // (for asynchronous copies to a CUDA device; needs a CUDA build).
  BatchAssembler(const TrainSamples& samples, const NegativeSampler& sampler, std::int64_t num_news,
                 bool dedup, bool pinned);

  // The batch of `sample_ids` for `epoch`, using `rows` (one per thread) as scratch. Throws
  // naming the sample when one is out of range, not loaded, or refers to an unknown news.
  HostBatch assemble(std::span<const std::int64_t> sample_ids, std::int64_t epoch,
                     NewsRows& rows) const;

  std::int64_t num_news() const { return num_news_; }

 private:
  const TrainSamples& samples_;
  const NegativeSampler& sampler_;
  std::int64_t num_news_;
  bool dedup_;
  bool pinned_;
};

}  // namespace rsdist::loader
