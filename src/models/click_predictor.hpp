// Scores (user, candidate news) pairs (NNR's click predictors `dot_product` and `mlp`).
//
//   dot_product: logit[b, c] = <user[b], candidate[b, c]>            (no parameters)
//   mlp:         logit[b, c] = out(dropout(relu(mlp([user[b]; candidate[b, c]]))))
//                mlp = Linear(2D, attention_dim), out = Linear(attention_dim, 1)
//
// Evaluation encodes every news and every user once and then only calls this.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "models/naml_options.hpp"

namespace rsdist::models {

class ClickPredictorImpl : public torch::nn::Module {
 public:
  ClickPredictorImpl(ClickPredictorKind kind, std::int64_t news_dim, std::int64_t attention_dim,
                     double dropout, at::Generator& generator);

  // users [B, D], candidates [B, C, D] -> logits [B, C].
  at::Tensor forward(const at::Tensor& users, const at::Tensor& candidates);

  ClickPredictorKind kind() const { return kind_; }

  // Registered for kMlp only (a dot product has no parameters).
  torch::nn::Linear mlp{nullptr};
  torch::nn::Linear out{nullptr};

 private:
  ClickPredictorKind kind_;
  double dropout_;
};
TORCH_MODULE(ClickPredictor);

}  // namespace rsdist::models
