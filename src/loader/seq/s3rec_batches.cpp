#include "loader/seq/s3rec_batches.hpp"

#include <ATen/ops/empty.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::loader {
namespace {

constexpr std::uint64_t kFinetuneStream = 0x66696e65;  // "fine"
constexpr std::uint64_t kPretrainStream = 0x70726574;  // "pret"

// [B, L] int64 zeros on the host (page-locked when asked).
at::Tensor host_rows(std::int64_t batch, std::int64_t length, bool pin_memory) {
  at::Tensor t = at::empty({batch, length}, at::TensorOptions().dtype(at::kLong).pinned_memory(pin_memory));
  t.zero_();
  return t;
}

std::vector<std::int32_t> sorted_distinct(std::span<const std::int32_t> items) {
  std::vector<std::int32_t> out(items.begin(), items.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Uniform in 1..num_items, outside `excluded` (sorted); the corpus guarantees an eligible item
// whenever a user does not hold every item, which the callers check.
std::int64_t sample_outside(Rng& rng, std::int64_t num_items,
                            const std::vector<std::int32_t>& excluded) {
  for (;;) {
    const std::int64_t item = rng.uniform_int(1, num_items);
    if (!std::binary_search(excluded.begin(), excluded.end(), static_cast<std::int32_t>(item))) {
      return item;
    }
  }
}

// Writes `values` into row b of `rows` [B, L] right-aligned (left padding stays 0).
template <class Values>
void put_right_aligned(std::int64_t* rows, std::int64_t b, std::int64_t length,
                       const Values& values) {
  const auto n = static_cast<std::int64_t>(values.size());
  std::int64_t* out = rows + b * length + (length - n);
  for (std::int64_t i = 0; i < n; ++i) out[i] = values[static_cast<std::size_t>(i)];
}

std::span<const std::int32_t> pretrain_window(const seq::SeqCorpus& corpus, std::int64_t row,
                                              std::int64_t max_seq_length) {
  const auto s = corpus.sequences.sequence(static_cast<std::size_t>(row));
  const auto end = static_cast<std::int64_t>(s.size()) - 2;
  const std::int64_t begin = std::max<std::int64_t>(0, end - max_seq_length);
  return s.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
}

}  // namespace

std::vector<std::int64_t> s3rec_finetune_rows(const seq::SeqCorpus& corpus) {
  std::vector<std::int64_t> rows;
  for (std::size_t r = 0; r < corpus.sequences.num_sequences(); ++r) {
    if (corpus.sequences.sequence(r).size() > 3) rows.push_back(static_cast<std::int64_t>(r));
  }
  return rows;
}

std::vector<S3RecPretrainSample> s3rec_pretrain_samples(const seq::SeqCorpus& corpus,
                                                        std::int64_t max_seq_length) {
  std::vector<S3RecPretrainSample> samples;
  for (std::size_t r = 0; r < corpus.sequences.num_sequences(); ++r) {
    const auto window = pretrain_window(corpus, static_cast<std::int64_t>(r), max_seq_length);
    for (std::size_t p = 1; p <= window.size(); ++p) {
      samples.push_back({static_cast<std::int64_t>(r), static_cast<std::int32_t>(p)});
    }
  }
  return samples;
}

models::S3RecFinetuneBatch build_s3rec_finetune_batch(const seq::SeqCorpus& corpus,
                                                      std::span<const std::int64_t> rows,
                                                      std::span<const std::int64_t> ids,
                                                      const S3RecBatchOptions& o) {
  const auto b = static_cast<std::int64_t>(ids.size());
  const std::int64_t length = o.max_seq_length;
  const std::int64_t num_items = corpus.sequences.max_item();
  models::S3RecFinetuneBatch batch{host_rows(b, length, o.pin_memory),
                                   host_rows(b, length, o.pin_memory),
                                   host_rows(b, length, o.pin_memory)};
  std::int64_t* inputs = batch.inputs.data_ptr<std::int64_t>();
  std::int64_t* positives = batch.positives.data_ptr<std::int64_t>();
  std::int64_t* negatives = batch.negatives.data_ptr<std::int64_t>();
  std::vector<std::int64_t> drawn;
  for (std::int64_t i = 0; i < b; ++i) {
    const std::int64_t id = ids[static_cast<std::size_t>(i)];
    RSDIST_CHECK(id >= 0 && id < static_cast<std::int64_t>(rows.size()),
                 "s3rec: fine-tuning sample {} of {}", id, rows.size());
    const std::int64_t row = rows[static_cast<std::size_t>(id)];
    const auto s = corpus.sequences.sequence(static_cast<std::size_t>(row));
    const auto end = static_cast<std::int64_t>(s.size()) - 3;
    const std::int64_t begin = std::max<std::int64_t>(0, end - length);
    const auto n = static_cast<std::size_t>(end - begin);
    put_right_aligned(inputs, i, length, s.subspan(static_cast<std::size_t>(begin), n));
    put_right_aligned(positives, i, length, s.subspan(static_cast<std::size_t>(begin) + 1, n));
    const std::vector<std::int32_t> own = sorted_distinct(s);
    RSDIST_CHECK(static_cast<std::int64_t>(own.size()) < num_items,
                 "s3rec: user {} interacted with every item; no negative exists",
                 corpus.sequences.users[static_cast<std::size_t>(row)]);
    Rng rng = Rng::stream(o.seed, {kFinetuneStream, static_cast<std::uint64_t>(o.epoch),
                                   static_cast<std::uint64_t>(row)});
    drawn.resize(n);
    for (auto& item : drawn) item = sample_outside(rng, num_items, own);
    put_right_aligned(negatives, i, length, drawn);
  }
  return batch;
}

models::S3RecPretrainBatch build_s3rec_pretrain_batch(
    const seq::SeqCorpus& corpus, std::span<const S3RecPretrainSample> samples,
    std::span<const std::int64_t> ids, const S3RecBatchOptions& o) {
  const auto b = static_cast<std::int64_t>(ids.size());
  const std::int64_t length = o.max_seq_length;
  const std::int64_t num_items = corpus.sequences.max_item();
  const std::int64_t mask = num_items + 1;
  const std::vector<std::int32_t>& pool = corpus.splits.all_train_sequences.items;
  models::S3RecPretrainBatch batch;
  for (at::Tensor* t : {&batch.masked_items, &batch.items, &batch.negatives, &batch.masked_segment,
                        &batch.segment, &batch.false_segment}) {
    *t = host_rows(b, length, o.pin_memory);
  }
  std::vector<std::int64_t> masked, negatives, masked_segment, segment, false_segment;
  for (std::int64_t i = 0; i < b; ++i) {
    const std::int64_t id = ids[static_cast<std::size_t>(i)];
    RSDIST_CHECK(id >= 0 && id < static_cast<std::int64_t>(samples.size()),
                 "s3rec: pretraining sample {} of {}", id, samples.size());
    const S3RecPretrainSample& sample = samples[static_cast<std::size_t>(id)];
    const auto s = pretrain_window(corpus, sample.row, length)
                       .first(static_cast<std::size_t>(sample.length));
    const auto n = static_cast<std::int64_t>(s.size());
    const std::vector<std::int32_t> own = sorted_distinct(s);
    Rng rng = Rng::stream(o.seed, {kPretrainStream, static_cast<std::uint64_t>(o.epoch),
                                   static_cast<std::uint64_t>(id)});
    masked.assign(s.begin(), s.end());
    negatives.assign(s.begin(), s.end());
    for (std::int64_t t = 0; t < n; ++t) {
      if (t == n - 1 || rng.bernoulli(o.mask_p)) {
        masked[static_cast<std::size_t>(t)] = mask;
        negatives[static_cast<std::size_t>(t)] = sample_outside(rng, num_items, own);
      }
    }
    masked_segment.assign(s.begin(), s.end());
    segment.assign(s.begin(), s.end());
    false_segment.assign(s.begin(), s.end());
    if (n >= 2) {
      const std::int64_t k = rng.uniform_int(1, n / 2);
      const std::int64_t start = rng.uniform_int(0, n - k);
      RSDIST_CHECK(static_cast<std::int64_t>(pool.size()) >= k,
                   "s3rec: the training items are fewer than a segment");
      const std::int64_t other = rng.uniform_int(0, static_cast<std::int64_t>(pool.size()) - k);
      for (std::int64_t t = 0; t < n; ++t) {
        const bool inside = t >= start && t < start + k;
        const auto u = static_cast<std::size_t>(t);
        masked_segment[u] = inside ? mask : s[u];
        segment[u] = inside ? s[u] : mask;
        false_segment[u] = inside ? pool[static_cast<std::size_t>(other + t - start)] : mask;
      }
    }
    put_right_aligned(batch.masked_items.data_ptr<std::int64_t>(), i, length, masked);
    put_right_aligned(batch.items.data_ptr<std::int64_t>(), i, length, s);
    put_right_aligned(batch.negatives.data_ptr<std::int64_t>(), i, length, negatives);
    put_right_aligned(batch.masked_segment.data_ptr<std::int64_t>(), i, length, masked_segment);
    put_right_aligned(batch.segment.data_ptr<std::int64_t>(), i, length, segment);
    put_right_aligned(batch.false_segment.data_ptr<std::int64_t>(), i, length, false_segment);
  }
  return batch;
}

at::Tensor s3rec_eval_inputs(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
                             std::span<const std::int64_t> ids, std::int64_t max_seq_length) {
  at::Tensor inputs = host_rows(static_cast<std::int64_t>(ids.size()), max_seq_length, false);
  std::int64_t* out = inputs.data_ptr<std::int64_t>();
  for (std::size_t i = 0; i < ids.size(); ++i) {
    put_right_aligned(out, static_cast<std::int64_t>(i), max_seq_length,
                      seq::example_window(corpus.sequences, examples,
                                          static_cast<std::size_t>(ids[i]),
                                          static_cast<std::size_t>(max_seq_length)));
  }
  return inputs;
}

}  // namespace rsdist::loader
