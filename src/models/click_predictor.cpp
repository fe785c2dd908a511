#include "models/click_predictor.hpp"

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {

ClickPredictorImpl::ClickPredictorImpl(ClickPredictorKind kind, std::int64_t news_dim,
                                       std::int64_t attention_dim, double dropout,
                                       at::Generator& generator)
    : kind_(kind), dropout_(dropout) {
  if (kind_ != ClickPredictorKind::kMlp) return;
  mlp = register_module("mlp",
                        torch::nn::Linear(torch::nn::LinearOptions(2 * news_dim, attention_dim)));
  out = register_module("out", torch::nn::Linear(torch::nn::LinearOptions(attention_dim, 1)));
  xavier_uniform_(mlp->weight, kReluGain, generator);
  zeros_(mlp->bias);
  xavier_uniform_(out->weight, 1.0, generator);
  zeros_(out->bias);
}

at::Tensor ClickPredictorImpl::forward(const at::Tensor& users, const at::Tensor& candidates) {
  RSDIST_CHECK(users.dim() == 2 && candidates.dim() == 3 && candidates.size(0) == users.size(0) &&
                   candidates.size(2) == users.size(1),
               "click predictor: expected users [B, D] and candidates [B, C, D], got [{}] and [{}]",
               fmt::join(users.sizes(), ", "), fmt::join(candidates.sizes(), ", "));
  if (kind_ == ClickPredictorKind::kDotProduct) {
    return at::matmul(candidates, users.unsqueeze(2)).squeeze(2);
  }
  const at::Tensor pairs =
      at::cat({users.unsqueeze(1).expand({-1, candidates.size(1), -1}), candidates}, /*dim=*/2);
  const at::Tensor hidden = at::dropout(at::relu(mlp(pairs)), dropout_, is_training());
  return out(hidden).squeeze(2);
}

}  // namespace rsdist::models
