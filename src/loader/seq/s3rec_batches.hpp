// The batches of S3-Rec and SASRec from a sequence corpus (docs/corpus_seq.md), as the official
// datasets.py builds them, and the batcher that serves them in a rank's order.
//
// Fine-tuning (SASRecDataset "train"): one sample per user row with a training window, i.e. at
// least 4 items (a 3-item user's window s[:-3] is empty and the official code's all-padding row
// adds nothing to its loss): inputs s[:-3], positives s[1:-2], both cut to their last L and
// left-padded, and one negative per real position drawn uniformly from 1..I outside the user's
// whole sequence, from the stream (seed, epoch, row).
//
// Pretraining (PretrainDataset): every prefix of each row's window s[-(L+2):-2] is a sample. For
// a sample S of length n, from the stream (seed, epoch, sample):
//   * each item but the last is masked with probability mask_p, the last always; a masked
//     position gets a negative from 1..I outside S, an unmasked one its own item;
//   * with n >= 2, a segment of length k in [1, n/2] at start j in [0, n - k] is masked out of S,
//     and the false segment is k consecutive items of the corpus's training items (every row's
//     s[:-2], concatenated) from a start in [0, total - k]; both segments carry the mask id
//     outside [j, j + k); with n = 1 all three are S itself.
// Where rsdist differs from the official code, deliberately: negatives are drawn from 1..I (its
// neg_sample draws from 1..I + 1 and may return the mask id), and the false segments come from the
// training part of the sequences (its long_sequence concatenates whole sequences, validation and
// test items included).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "data/seq/seq_corpus.hpp"
#include "loader/prefetching_batcher.hpp"
#include "models/s3rec_batch.hpp"

namespace rsdist::loader {

struct S3RecPretrainSample {
  std::int64_t row = 0;     // corpus row
  std::int32_t length = 0;  // items of the row's window the sample keeps, >= 1
};

struct S3RecBatchOptions {
  std::int64_t max_seq_length = 50;
  double mask_p = 0.2;
  std::uint64_t seed = 0;
  std::int64_t epoch = 0;
  bool pin_memory = false;
};

// Rows with a fine-tuning window, ascending.
std::vector<std::int64_t> s3rec_finetune_rows(const seq::SeqCorpus& corpus);
// Every pretraining sample, row by row, shortest first within a row.
std::vector<S3RecPretrainSample> s3rec_pretrain_samples(const seq::SeqCorpus& corpus,
                                                        std::int64_t max_seq_length);

// Batches of the samples `ids` (indices into `rows` / `samples`), on the host.
models::S3RecFinetuneBatch build_s3rec_finetune_batch(const seq::SeqCorpus& corpus,
                                                      std::span<const std::int64_t> rows,
                                                      std::span<const std::int64_t> ids,
                                                      const S3RecBatchOptions& options);
models::S3RecPretrainBatch build_s3rec_pretrain_batch(
    const seq::SeqCorpus& corpus, std::span<const S3RecPretrainSample> samples,
    std::span<const std::int64_t> ids, const S3RecBatchOptions& options);

// The evaluation inputs of examples `ids`: each prefix's last L items, left-padded, [B, L] int64.
at::Tensor s3rec_eval_inputs(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
                             std::span<const std::int64_t> ids, std::int64_t max_seq_length);

struct S3RecLoaderStatistics {
  std::int64_t batches = 0;
  std::int64_t samples = 0;
  double wait_seconds = 0;   // consumer time inside next()
  double build_seconds = 0;  // worker time building batches, summed over workers
};

template <class Batch>
struct BuiltS3RecBatch {
  Batch batch;
  double build_seconds = 0;
};

// One rank's epoch of either batch kind: `build` makes batch j from its sample ids on a worker
// thread (it reads only immutable state); next() hands them out in order on `device`.
template <class Batch>
class S3RecBatcher final
    : public PrefetchingBatcher<BuiltS3RecBatch<Batch>, Batch, S3RecLoaderStatistics> {
  using Base = PrefetchingBatcher<BuiltS3RecBatch<Batch>, Batch, S3RecLoaderStatistics>;

 public:
  using Build = std::function<Batch(std::span<const std::int64_t>)>;
  S3RecBatcher(std::vector<std::int64_t> order, std::int64_t batch_size, std::int32_t threads,
               at::Device device, Build build)
      : Base(std::move(order), batch_size, threads, /*prefetch_batches=*/4),
        device_(device),
        build_(std::move(build)) {
    this->start_prefetching();
  }
  ~S3RecBatcher() override { this->stop_prefetching(); }

 private:
  BuiltS3RecBatch<Batch> assemble(std::int64_t batch, int /*worker*/) override {
    const auto start = SteadyClock::now();
    BuiltS3RecBatch<Batch> out{build_(this->batch_ids(batch))};
    out.build_seconds = seconds_since(start);
    return out;
  }
  Batch deliver(BuiltS3RecBatch<Batch>&& built, S3RecLoaderStatistics& statistics) override {
    statistics.batches += 1;
    statistics.samples += built.batch.size();
    statistics.build_seconds += built.build_seconds;
    return device_.is_cuda() ? built.batch.to(device_, /*non_blocking=*/true)
                             : std::move(built.batch);
  }

  const at::Device device_;
  const Build build_;
};

}  // namespace rsdist::loader
