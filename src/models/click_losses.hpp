// Training losses over click logits [B, C] whose column 0 is the clicked candidate and columns
// 1.. the sampled negatives (NNR's trainer losses). Both return a float32 scalar, also for
// bf16/fp16 logits under autocast.
#pragma once

#include <ATen/core/Tensor.h>

namespace rsdist::models {

// mean over rows of -log_softmax(logits)[:, 0]: the clicked candidate against its negatives (NNR's
// loss for the dot_product and mlp predictors).
at::Tensor negative_log_softmax_loss(const at::Tensor& logits);

// Each candidate as an independent binary decision: -(sum log sigmoid(logits[:, 0]) +
// sum log sigmoid(-logits[:, 1:])) / numel, each sigmoid clamped to [1e-15, 1] first as in NNR
// (so one confident mistake costs at most -log(1e-15) ~ 34.5, and its gradient is then zero).
at::Tensor negative_log_sigmoid_loss(const at::Tensor& logits);

}  // namespace rsdist::models
