// The S3-Rec batches against the official datasets.py semantics: fine-tuning windows s[:-3] ->
// s[1:-2] with negatives outside the user's sequence; pretraining samples (every prefix of
// s[-(L+2):-2]) with the last item always masked, masked items' negatives outside the sample, and
// segments that rebuild the sample; each a pure function of (seed, epoch, sample).
#include "loader/seq/s3rec_batches.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

namespace rsdist::loader {
namespace {

using Items = std::vector<std::int64_t>;
constexpr std::int64_t kLength = 5;

seq::SeqCorpus corpus() {
  seq::SequenceCorpus s;
  s.append(1, std::vector<std::int32_t>{1, 2, 3});                        // no fine-tuning window
  s.append(2, std::vector<std::int32_t>{4, 5, 6, 7});                     // window of 1
  s.append(3, std::vector<std::int32_t>{8, 9, 10, 11, 12, 13, 14, 15, 16, 17});  // longer than L
  s.append(4, std::vector<std::int32_t>{18, 19, 20, 21, 22, 23});
  return seq::build_seq_corpus(s, seq::WitgNormalization::kNone);
}

Items row(const at::Tensor& t, std::int64_t b) {
  const at::Tensor r = t[b].contiguous();
  return Items(r.data_ptr<std::int64_t>(), r.data_ptr<std::int64_t>() + r.numel());
}

S3RecBatchOptions options(std::int64_t epoch = 0) {
  S3RecBatchOptions o;
  o.max_seq_length = kLength;
  o.seed = 4;
  o.epoch = epoch;
  return o;
}

TEST(S3RecBatches, FinetuningReadsTheLastLItemsOfSMinus3AgainstTheNextItems) {
  const seq::SeqCorpus c = corpus();
  const std::vector<std::int64_t> rows = s3rec_finetune_rows(c);
  EXPECT_EQ(rows, (std::vector<std::int64_t>{1, 2, 3}));
  const std::vector<std::int64_t> ids = {0, 1, 2};
  const models::S3RecFinetuneBatch b = build_s3rec_finetune_batch(c, rows, ids, options());
  EXPECT_EQ(row(b.inputs, 0), (Items{0, 0, 0, 0, 4}));
  EXPECT_EQ(row(b.positives, 0), (Items{0, 0, 0, 0, 5}));
  EXPECT_EQ(row(b.inputs, 1), (Items{10, 11, 12, 13, 14}));  // s[:-3] = 8..14, last 5
  EXPECT_EQ(row(b.positives, 1), (Items{11, 12, 13, 14, 15}));
  EXPECT_EQ(row(b.inputs, 2), (Items{0, 0, 18, 19, 20}));
  for (std::int64_t i = 0; i < 3; ++i) {
    const auto own = c.sequences.sequence(static_cast<std::size_t>(rows[static_cast<std::size_t>(i)]));
    const Items negatives = row(b.negatives, i), inputs = row(b.inputs, i);
    for (std::int64_t t = 0; t < kLength; ++t) {
      const std::int64_t n = negatives[static_cast<std::size_t>(t)];
      if (inputs[static_cast<std::size_t>(t)] == 0) {
        EXPECT_EQ(n, 0);
      } else {
        EXPECT_GE(n, 1);
        EXPECT_LE(n, c.sequences.max_item());
        EXPECT_EQ(std::find(own.begin(), own.end(), n), own.end());
      }
    }
  }
  // A user's negatives depend on (seed, epoch, row), not on the batch it lands in.
  const std::vector<std::int64_t> alone = {2};
  EXPECT_EQ(row(build_s3rec_finetune_batch(c, rows, alone, options()).negatives, 0),
            row(b.negatives, 2));
  EXPECT_NE(row(build_s3rec_finetune_batch(c, rows, ids, options(1)).negatives, 1),
            row(b.negatives, 1));
}

TEST(S3RecBatches, PretrainingSamplesAreThePrefixesOfTheTrainingWindow) {
  const seq::SeqCorpus c = corpus();
  const std::vector<S3RecPretrainSample> samples = s3rec_pretrain_samples(c, kLength);
  // min(n - 2, L) per user: 1 + 2 + 5 + 4.
  ASSERT_EQ(samples.size(), 12u);
  EXPECT_EQ(samples[0].row, 0);
  EXPECT_EQ(samples[3].row, 2);
  EXPECT_EQ(samples[3].length, 1);
  EXPECT_EQ(samples[7].length, 5);
  std::vector<std::int64_t> all(samples.size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::int64_t>(i);
  const std::int64_t mask = c.sequences.max_item() + 1;
  const std::set<std::int32_t> pool(c.splits.all_train_sequences.items.begin(),
                                    c.splits.all_train_sequences.items.end());
  for (std::int64_t epoch = 0; epoch < 20; ++epoch) {
    const models::S3RecPretrainBatch b = build_s3rec_pretrain_batch(c, samples, all, options(epoch));
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const auto bi = static_cast<std::int64_t>(i);
      const Items items = row(b.items, bi), masked = row(b.masked_items, bi),
                  negatives = row(b.negatives, bi), masked_segment = row(b.masked_segment, bi),
                  segment = row(b.segment, bi), false_segment = row(b.false_segment, bi);
      const auto n = static_cast<std::size_t>(samples[i].length);
      const std::size_t first = kLength - n;
      // The sample: window[:length], right-aligned; user 3's window is s[3:8] = 11..15.
      if (i == 7) EXPECT_EQ(items, (Items{11, 12, 13, 14, 15}));
      EXPECT_EQ(masked.back(), mask);
      const std::set<std::int64_t> own(items.begin() + static_cast<std::ptrdiff_t>(first), items.end());
      for (std::size_t t = 0; t < kLength; ++t) {
        if (t < first) {
          for (const Items* v : {&items, &masked, &negatives, &masked_segment, &segment, &false_segment}) {
            EXPECT_EQ((*v)[t], 0);
          }
          continue;
        }
        if (masked[t] == mask) {
          EXPECT_EQ(own.count(negatives[t]), 0u);
          EXPECT_LE(negatives[t], c.sequences.max_item());
        } else {
          EXPECT_EQ(masked[t], items[t]);
          EXPECT_EQ(negatives[t], items[t]);
        }
        if (n == 1) {
          EXPECT_EQ(masked_segment[t], items[t]);
          EXPECT_EQ(segment[t], items[t]);
          EXPECT_EQ(false_segment[t], items[t]);
        } else {
          // Exactly one of the two carries the item; the false segment is masked where the true
          // one is, and comes from the training items elsewhere.
          EXPECT_TRUE((masked_segment[t] == mask) != (segment[t] == mask));
          EXPECT_EQ(masked_segment[t] == mask ? segment[t] : masked_segment[t], items[t]);
          EXPECT_EQ(false_segment[t] == mask, segment[t] == mask);
          if (false_segment[t] != mask) EXPECT_EQ(pool.count(static_cast<std::int32_t>(false_segment[t])), 1u);
        }
      }
    }
  }
  // Pure function of (seed, epoch, sample id).
  const std::vector<std::int64_t> one = {7};
  const models::S3RecPretrainBatch a = build_s3rec_pretrain_batch(c, samples, one, options(3));
  const models::S3RecPretrainBatch b = build_s3rec_pretrain_batch(c, samples, all, options(3));
  EXPECT_TRUE(at::equal(a.masked_items[0], b.masked_items[7]));
  EXPECT_TRUE(at::equal(a.false_segment[0], b.false_segment[7]));
}

TEST(S3RecBatches, ItemsAreMaskedWithProbabilityMaskP) {
  const seq::SeqCorpus c = corpus();
  const std::vector<S3RecPretrainSample> samples = s3rec_pretrain_samples(c, kLength);
  const std::vector<std::int64_t> longest = {7};  // 4 maskable items before the always-masked last
  const std::int64_t mask = c.sequences.max_item() + 1;
  std::int64_t masked = 0, total = 0;
  for (std::int64_t epoch = 0; epoch < 2000; ++epoch) {
    const Items m = row(build_s3rec_pretrain_batch(c, samples, longest, options(epoch)).masked_items, 0);
    for (std::size_t t = 0; t + 1 < m.size(); ++t) masked += m[t] == mask;
    total += 4;
  }
  EXPECT_NEAR(static_cast<double>(masked) / static_cast<double>(total), 0.2, 0.02);
}

TEST(S3RecBatches, EvaluationInputsAreEachPrefixsLastLItems) {
  const seq::SeqCorpus c = corpus();
  const std::vector<std::int64_t> ids = {0, 2};
  const at::Tensor inputs = s3rec_eval_inputs(c, c.splits.valid, ids, kLength);
  EXPECT_EQ(row(inputs, 0), (Items{0, 0, 0, 0, 1}));         // s[:-2] of user 1
  EXPECT_EQ(row(inputs, 1), (Items{11, 12, 13, 14, 15}));    // s[:-2] = 8..15, last 5
}

}  // namespace
}  // namespace rsdist::loader
