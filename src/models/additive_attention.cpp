#include "models/additive_attention.hpp"

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {

AdditiveAttentionImpl::AdditiveAttentionImpl(std::int64_t feature_dim, std::int64_t attention_dim,
                                             at::Generator& generator) {
  affine1 = register_module(
      "affine1", torch::nn::Linear(torch::nn::LinearOptions(feature_dim, attention_dim)));
  affine2 = register_module(
      "affine2", torch::nn::Linear(torch::nn::LinearOptions(attention_dim, 1).bias(false)));
  xavier_uniform_(affine1->weight, kTanhGain, generator);
  zeros_(affine1->bias);
  xavier_uniform_(affine2->weight, 1.0, generator);
}

at::Tensor AdditiveAttentionImpl::weights(const at::Tensor& features, const at::Tensor& mask) {
  RSDIST_CHECK(features.dim() == 3, "additive attention expects features [N, L, F], got [{}]",
               fmt::join(features.sizes(), ", "));
  at::Tensor scores = affine2(at::tanh(affine1(features))).squeeze(-1);  // [N, L]
  if (mask.defined()) {
    RSDIST_CHECK(mask.sizes() == scores.sizes(),
                 "additive attention mask must be [N, L] = [{}] like its features, got [{}]",
                 fmt::join(scores.sizes(), ", "), fmt::join(mask.sizes(), ", "));
    scores = scores.masked_fill(mask == 0, -1e9);
  }
  // float32 under autocast (bf16/fp16 scores); float64 models keep float64.
  const at::ScalarType softmax_type =
      at::isReducedFloatingType(scores.scalar_type()) ? at::kFloat : scores.scalar_type();
  return at::softmax(scores, /*dim=*/1, softmax_type);
}

at::Tensor AdditiveAttentionImpl::forward(const at::Tensor& features, const at::Tensor& mask) {
  return (weights(features, mask).unsqueeze(-1) * features).sum(/*dim=*/1);
}

}  // namespace rsdist::models
