// Mult-VAE (Liang et al., "Variational Autoencoders for Collaborative Filtering", WWW 2018) as the
// official code (dawenl/vae_cf) builds it, for a user's item set x (0/1 over I items):
//   encoder  h = input(x); [I -> d_1 -> ... -> d_{n-1} -> 2 d_n], tanh between layers, the last
//            layer's output split into mu and log sigma^2;
//   z        mu + eps * sigma in training (eps ~ N(0, 1)), mu at evaluation;
//   decoder  [d_n -> d_{n-1} -> ... -> d_1 -> I], tanh between layers: logits over every item;
//   loss     -mean_u sum_i x_ui log softmax(logits_u)_i  +  beta * mean_u KL(q(z|x_u) || N(0, I)),
//            KL = sum_k 0.5 (-log sigma_k^2 + sigma_k^2 + mu_k^2 - 1).
// `dims` = [d_1 ... d_n] ([600, 200] as the paper and seed 003's v2 configuration). Parameters:
// encoder.0.item_weight [I, d_1] (one row per item: the transpose of nn.Linear's weight, see
// below) and encoder.0.bias, encoder.<k>.{weight,bias} for k >= 1 and decoder.<k>.{weight,bias}
// (nn.Linear layout), initialised as the official code: weights Glorot uniform, biases truncated
// normal (sd 0.001, cut at 2 sd).
//
// The input: L2 normalisation of the row and dropout (keep probability 1 - dropout, survivors
// scaled by 1 / keep, training only) in either order (InputOrder): the paper's code and RecBole
// normalise first; seed 003 reports dropping out first as its fix. x is never dense: the rows are
// SparseRows, the dropout mask lives on their entries (dropping a zero changes nothing), and the
// first layer is X . W^T as a sum of item rows of the item-major weight (sparse_rows_mm; stored
// [I, d_1] so that each entry reads one contiguous row: on 2 CPU cores at 20k items and 500 users
// 28 ms forward and backward, against 147 ms for the dense product and 280 ms for the same sum
// over the columns of an nn.Linear weight); the log-likelihood gathers the logits at the entries.
// Only the logits [B, I] are dense.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/item_table.hpp"
#include "models/sparse_rows.hpp"

namespace rsdist::models {

enum class InputOrder { kDropoutNormalize, kNormalizeDropout };
// "dropout_normalize" | "normalize_dropout"; throws naming `name` otherwise.
InputOrder input_order(const std::string& name);

struct MultVaeOptions {
  std::int64_t num_items = 0;
  std::vector<std::int64_t> dims{600, 200};  // hidden widths, the latent size last
  double dropout = 0.5;                      // of the input's entries, in training
  InputOrder order = InputOrder::kNormalizeDropout;
  std::uint64_t init_seed = 0;
  // How the item-sized layers are reached (models/item_table.hpp); null: replicated. Sharded,
  // encoder.0.item_weight, decoder.<last>.weight and decoder.<last>.bias hold this rank's items'
  // rows (Note [Cyclic item sharding]).
  std::shared_ptr<ItemTable> item_table;
};

// The random draws of one training step: which entries of the batch's rows survive dropout
// (float 0/1 [nnz]) and the reparameterisation noise eps [B, latent]. Undefined members mean
// none (evaluation: no dropout, z = mu).
struct MultVaeNoise {
  at::Tensor keep;
  at::Tensor eps;
};

struct MultVaeOutput {
  at::Tensor logits;   // [B, I]; undefined with a sharded table (see score())
  at::Tensor decoded;  // [B, d_1]: the input of the last decoder layer
  at::Tensor mu;      // [B, latent]
  at::Tensor logvar;  // [B, latent]
};

struct MultVaeLoss {
  at::Tensor loss;    // neg_ll + beta * kl, scalar
  at::Tensor neg_ll;  // multinomial negative log-likelihood, mean over users
  at::Tensor kl;      // mean over users
};

class MultVaeModelImpl : public torch::nn::Module {
 public:
  explicit MultVaeModelImpl(MultVaeOptions options);

  // The rows' encoder input [B, I] is never formed: see the file comment.
  MultVaeOutput forward(const SparseRows& x, const MultVaeNoise& noise);
  // Evaluation scores: the logits with z = mu and no dropout; with a sharded table those of this
  // rank's items, [B, local rows].
  at::Tensor score(const SparseRows& x);
  // The loss of `out` for the rows `x` (every entry a 1) with KL weight `beta`: multvae_loss, the
  // likelihood through the item table (vocab-parallel when sharded).
  MultVaeLoss loss(const MultVaeOutput& out, const SparseRows& x, double beta);

  // A step's noise for `x` from `generator` (on the model's device): dropout survivors with
  // probability 1 - dropout, eps standard normal.
  MultVaeNoise draw_noise(const SparseRows& x, at::Generator& generator) const;

  std::int64_t latent() const { return options_.dims.back(); }
  const MultVaeOptions& options() const { return options_; }

 private:
  // The values of X's entries after dropout and normalisation, in the configured order: [nnz].
  at::Tensor input_values(const SparseRows& x, const at::Tensor& keep) const;

  MultVaeOptions options_;
  std::shared_ptr<ItemTable> table_;
  torch::nn::ModuleList encoder_{nullptr}, decoder_{nullptr};
  at::Tensor item_weight_, first_bias_;  // encoder.0: [I, d_1], [d_1]
  std::vector<torch::nn::Linear> encoder_layers_, decoder_layers_;  // encoder.1..., decoder.0...

};
TORCH_MODULE(MultVaeModel);

// The loss of `out` for the rows `x` (every entry a 1) with KL weight `beta`.
MultVaeLoss multvae_loss(const MultVaeOutput& out, const SparseRows& x, double beta);

// The KL weight after `step` optimizer steps: cap * min(1, step / anneal_steps) (cap at once when
// anneal_steps is 0). Seed 003 v2: cap 0.2 over 20,000 steps; the paper's code raises beta by
// 1 / 200,000 per step up to 0.2, i.e. anneal_steps = 40,000 here.
double kl_weight(std::int64_t step, double cap, std::int64_t anneal_steps);

}  // namespace rsdist::models
