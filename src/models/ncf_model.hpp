// Neural Collaborative Filtering for explicit ratings as seed 001 writes it (the pytorch-fm
// structure): one embedding table for the user and item fields (per-field offsets: users
// 0..U-1, items U..U+I-1; Xavier-uniform initialised), an MLP of Linear + BatchNorm1d + ReLU +
// Dropout layers over the concatenated user and item embeddings, a GMF branch (their element-wise
// product), one linear output over [GMF; MLP] and a sigmoid: the prediction is rating / 5.
//
// Parameter names follow the seed's modules: embedding.weight, mlp.<k>.* (k = 4 j + 0 Linear,
// 4 j + 1 BatchNorm1d), fc.*. Linear layers keep PyTorch's default initialisation
// (U(+-1/sqrt(fan_in)) for weight and bias), drawn from the model's own generator.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <vector>

namespace rsdist::models {

struct NcfOptions {
  std::int64_t num_users = 0;
  std::int64_t num_items = 0;
  std::int64_t embed_dim = 16;
  std::vector<std::int64_t> mlp_dims{16, 16};
  double dropout = 0.2;
  std::uint64_t init_seed = 0;
};

class NcfModelImpl : public torch::nn::Module {
 public:
  explicit NcfModelImpl(NcfOptions options);

  // Logits [B] of (users[b], items[b]); the predicted rating is 5 * sigmoid(logit).
  at::Tensor forward(const at::Tensor& users, const at::Tensor& items);
  // Logits [B, I] of `users` against every item (in slices of about 2^20 pairs).
  at::Tensor score_all_items(const at::Tensor& users);

  const NcfOptions& options() const { return options_; }

 private:
  NcfOptions options_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::Sequential mlp_{nullptr};
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(NcfModel);

}  // namespace rsdist::models
