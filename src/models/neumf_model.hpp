// GMF, MLP and NeuMF (He et al., "Neural Collaborative Filtering", WWW 2017) as the official code
// (hexiangnan/neural_collaborative_filtering) builds them, for implicit feedback:
//   * GMF:   logit = h_GMF . (p_u * q_i) + b, with user and item embeddings of `factors` dims;
//   * MLP:   logit = h_MLP . tower([p'_u; q'_i]) + b, with embeddings of layers[0] / 2 dims each and
//            a tower of Linear + ReLU layers layers[0] -> layers[1] -> ... -> layers.back();
//   * NeuMF: both embedding sets, logit = h . [p_u * q_i; tower([p'_u; q'_i])] + b.
// Initialisation as the official Keras code: embeddings N(0, 0.01), tower weights Glorot uniform
// with zero biases, the output layer LeCun uniform (+-sqrt(3 / fan_in)) with a zero bias.
//
// Parameter names are shared between the three, so that a NeuMF run can start from a GMF run and
// an MLP run (--init_from): gmf_user / gmf_item, mlp_user / mlp_item, mlp_tower.<k>; the output
// layer is gmf_out (GMF), mlp_out (MLP) or out (NeuMF). pretrained_output() forms NeuMF's output
// layer from the two pretrained ones as the paper does: 0.5 * [h_GMF; h_MLP], bias 0.5 * (b + b').
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rsdist::models {

enum class NeuMfKind { kGmf, kMlp, kNeuMf };
// "gmf" | "mlp" | "neumf"; throws naming `name` otherwise.
NeuMfKind neumf_kind(const std::string& name);

struct NeuMfOptions {
  NeuMfKind kind = NeuMfKind::kNeuMf;
  std::int64_t num_users = 0;
  std::int64_t num_items = 0;
  std::int64_t factors = 8;                         // GMF's embedding size (predictive factors)
  std::vector<std::int64_t> layers{64, 32, 16, 8};  // the MLP tower's widths, input first
  std::uint64_t init_seed = 0;
};

class NeuMfModelImpl : public torch::nn::Module {
 public:
  explicit NeuMfModelImpl(NeuMfOptions options);

  // Logits [B] of the pairs (users[b], items[b]) (int64 [B] each).
  at::Tensor forward(const at::Tensor& users, const at::Tensor& items);
  // Logits [B, I] of `users` against every item, equal to forward() over all pairs up to rounding
  // (the tower's first layer is applied to users and items separately, then broadcast), computed
  // in slices of users so that no intermediate holds more than about 2^20 pairs.
  at::Tensor score_all_items(const at::Tensor& users);

  // NeuMF's output layer from a GMF run's (gmf_out) and an MLP run's (mlp_out) tensors: weight
  // 0.5 * [w_GMF, w_MLP], bias 0.5 * (b_GMF + b_MLP). Returns false (changing nothing) when this is
  // not a NeuMF model or a tensor is missing.
  bool set_pretrained_output(const at::Tensor& gmf_weight, const at::Tensor& gmf_bias,
                             const at::Tensor& mlp_weight, const at::Tensor& mlp_bias);

  const NeuMfOptions& options() const { return options_; }

 private:
  bool has_gmf() const { return options_.kind != NeuMfKind::kMlp; }
  bool has_mlp() const { return options_.kind != NeuMfKind::kGmf; }
  // The tower over its first layer's pre-activation [..., layers[1]].
  at::Tensor tower_after_first(at::Tensor first);
  torch::nn::Linear& output();

  NeuMfOptions options_;
  torch::nn::Embedding gmf_user_{nullptr}, gmf_item_{nullptr}, mlp_user_{nullptr},
      mlp_item_{nullptr};
  torch::nn::ModuleList tower_{nullptr};
  std::vector<torch::nn::Linear> tower_layers_;
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(NeuMfModel);

}  // namespace rsdist::models
