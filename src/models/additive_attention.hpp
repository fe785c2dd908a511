// Additive attention pooling (NNR's `Attention`): scores each element of a sequence with a small
// tanh MLP, softmaxes the scores over the sequence and returns the weighted sum. NAML uses it over
// the words of a title or abstract, over the four views of a news article, and (as the ATT user
// encoder) over a user's history.
//
//   a_i   = w2 . tanh(W1 x_i + b1)            affine1 = Linear(F, A), affine2 = Linear(A, 1, no
//   bias) alpha = softmax(a masked_fill(mask == 0, -1e9)) over i out   = sum_i alpha_i x_i
//
// The softmax is taken in float32 (also under bf16/fp16 autocast) so that long sequences and
// the -1e9 fill behave the same in every precision; a masked element gets exactly zero weight.
// A row whose mask is all zero gets uniform weights (every score is -1e9), as in the reference.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace rsdist::models {

class AdditiveAttentionImpl : public torch::nn::Module {
 public:
  // Parameters drawn from `generator` (seeded_init.hpp: Xavier, tanh gain for affine1, zero bias).
  AdditiveAttentionImpl(std::int64_t feature_dim, std::int64_t attention_dim,
                        at::Generator& generator);

  // features [N, L, F]; mask [N, L] (nonzero = attend) or undefined for no mask -> [N, F].
  at::Tensor forward(const at::Tensor& features, const at::Tensor& mask = at::Tensor());

  // The attention weights alone, [N, L] (float32 for reduced-precision scores), for tests and
  // inspection.
  at::Tensor weights(const at::Tensor& features, const at::Tensor& mask = at::Tensor());

  torch::nn::Linear affine1{nullptr};
  torch::nn::Linear affine2{nullptr};
};
TORCH_MODULE(AdditiveAttention);

}  // namespace rsdist::models
