// The ATT user encoder (NNR's `ATT`): a user is the additive-attention pooling of the vectors of
// the news in their click history.
//
// Histories are padded to H slots. NNR attends over the padding too (each padded slot holds the
// <PAD> news's encoding); with `mask_history` (the default) padded slots get exactly zero weight,
// so a user's vector depends only on what they read. A history with no real slot at all gets
// uniform weights over its padding (a finite vector, never NaN).
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "models/additive_attention.hpp"

namespace rsdist::models {

class AttentionUserEncoderImpl : public torch::nn::Module {
 public:
  AttentionUserEncoderImpl(std::int64_t news_dim, std::int64_t attention_dim, bool mask_history,
                           at::Generator& generator);

  // history_vectors [B, H, D], history_mask [B, H] (1 on real slots) -> [B, D].
  at::Tensor forward(const at::Tensor& history_vectors, const at::Tensor& history_mask);

  bool masks_history() const { return mask_history_; }

  AdditiveAttention attention{nullptr};

 private:
  bool mask_history_;
};
TORCH_MODULE(AttentionUserEncoder);

}  // namespace rsdist::models
