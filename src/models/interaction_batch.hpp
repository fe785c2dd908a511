// One batch of (user, item, target) triples of an interaction-matrix corpus: what NCF (explicit
// ratings) and GMF / MLP / NeuMF (clicks and sampled negatives) train on.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace rsdist::models {

struct InteractionBatch {
  at::Tensor users;    // [B] int64, dense user ids
  at::Tensor items;    // [B] int64, dense item ids
  at::Tensor targets;  // [B] float32: the rating (explicit) or 1 / 0 (positive / sampled negative)

  std::int64_t size() const { return users.defined() ? users.size(0) : 0; }
};

}  // namespace rsdist::models
