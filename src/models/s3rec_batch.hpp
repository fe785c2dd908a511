// What S3-Rec and SASRec read: the loader (src/loader/seq/s3rec_batches.hpp) builds these on the
// host from the sequence corpus; the model (src/models/s3rec_model.hpp) consumes them.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>

namespace rsdist::models {

// A fine-tuning batch, [B, L] int64 each, left-padded with 0: the inputs, the item after each
// input position and one sampled negative per position (0 at padding positions).
struct S3RecFinetuneBatch {
  at::Tensor inputs, positives, negatives;
  std::int64_t size() const { return inputs.size(0); }
  S3RecFinetuneBatch to(c10::Device device, bool non_blocking = false) const {
    return {inputs.to(device, non_blocking), positives.to(device, non_blocking),
            negatives.to(device, non_blocking)};
  }
};

// A pretraining batch, [B, L] int64 each, as the official PretrainDataset: the masked sequence
// (mask id at masked positions, the last position always masked), the true items, a negative at
// each masked position (the true item elsewhere), the segment-masked sequence and the true and
// false segments (mask id outside the segment).
struct S3RecPretrainBatch {
  at::Tensor masked_items, items, negatives, masked_segment, segment, false_segment;
  std::int64_t size() const { return masked_items.size(0); }
  S3RecPretrainBatch to(c10::Device device, bool non_blocking = false) const {
    return {masked_items.to(device, non_blocking),   items.to(device, non_blocking),
            negatives.to(device, non_blocking),      masked_segment.to(device, non_blocking),
            segment.to(device, non_blocking),        false_segment.to(device, non_blocking)};
  }
};

}  // namespace rsdist::models
