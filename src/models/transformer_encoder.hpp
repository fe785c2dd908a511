// The sequence encoder of GCL4SR and S3-Rec/SASRec: PyTorch's nn.TransformerEncoder of post-norm
// nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation="gelu",
// batch_first=True), written out so that it runs the same on CPU and CUDA:
//
//   x = norm1(x + dropout1(self_attn(x)))          self_attn: multi-head attention with dropout
//   x = norm2(x + dropout2(linear2(dropout(gelu(linear1(x))))))        on its attention weights
//
// S3-Rec's BERT-style layer (its modules.py: SelfAttention + Intermediate) is the same
// computation — query/key/value are in_proj's three blocks, dense is out_proj, its two LayerNorms
// norm1 and norm2 — except that it has no dropout between gelu and linear2 and its LayerNorms use
// eps 1e-12: TransformerOptions::activation_dropout = false and layer_norm_eps = 1e-12.
//
// Parameter names are PyTorch's (layers.K.self_attn.in_proj_weight, ...out_proj.weight,
// linearN, normN), so a state_dict moves between the two unchanged.
//
// Note [Fully masked attention rows]: with a causal mask and left padding, a padding position
// attends to no key at all. PyTorch's attention returns 0 for such a row on CPU (its "safe
// softmax"), some kernels return NaN. Here a padding query may attend to the (padding) keys up to
// itself, so every row is finite on every backend. Only padding rows change, and GCL4SR never
// lets a padding row reach its output or loss (its attention read-out and means are masked), so
// outputs at real positions, the losses and every gradient equal PyTorch's.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace rsdist::models {

struct TransformerOptions {
  std::int64_t d_model = 64;
  std::int64_t nhead = 2;
  std::int64_t dim_feedforward = 256;
  double dropout = 0.5;  // every dropout of the layer, attention weights included unless...
  double attention_dropout = -1;  // ... this is >= 0 (S3-Rec's attention_probs_dropout_prob)
  std::int64_t num_layers = 2;
  double layer_norm_eps = 1e-5;     // PyTorch's default; S3-Rec 1e-12
  bool activation_dropout = true;   // dropout(gelu(linear1(x))); S3-Rec has none
};

// Note [Packed real positions]: GCL4SR pads every window to L = 50 items while Home's prefixes
// average 6, so most rows of [B, L, D] are padding. The encoder runs every per-position layer
// (projections, feed-forward, layer norms, dropouts) on the real positions only, packed as
// [R, D]; only the attention itself is laid out as [B, L, ...], with zeros at padding positions
// (masked as keys; as queries their rows are never read). Real positions get exactly the values
// of the dense computation; padding rows of the output are 0.
struct PackedPositions {
  at::Tensor index;  // [R] int64 flat positions (b * L + l) of the real items
  std::int64_t batch = 0, length = 0;

  // [R, C] -> [B, L, C], zeros at padding positions.
  at::Tensor unpack(const at::Tensor& packed) const;
  // [B, L, C] -> [R, C].
  at::Tensor pack(const at::Tensor& dense) const;
};

class MultiheadSelfAttentionImpl : public torch::nn::Module {
 public:
  MultiheadSelfAttentionImpl(std::int64_t d_model, std::int64_t nhead, double dropout);
  // x [R, D] packed; allowed [B, 1, L, L] bool, true where query i may attend to key j.
  at::Tensor forward(const at::Tensor& x, const PackedPositions& positions,
                     const at::Tensor& allowed);

  at::Tensor in_proj_weight;  // [3D, D]: query, key, value projections stacked
  at::Tensor in_proj_bias;    // [3D]
  torch::nn::Linear out_proj{nullptr};

 private:
  std::int64_t nhead_;
  double dropout_;
};
TORCH_MODULE(MultiheadSelfAttention);

class TransformerEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit TransformerEncoderLayerImpl(const TransformerOptions& options);
  // x [R, D] packed -> [R, D].
  at::Tensor forward(const at::Tensor& x, const PackedPositions& positions,
                     const at::Tensor& allowed);

  MultiheadSelfAttention self_attn{nullptr};
  torch::nn::Linear linear1{nullptr}, linear2{nullptr};
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};

 private:
  double dropout_;
  bool activation_dropout_;
};
TORCH_MODULE(TransformerEncoderLayer);

class TransformerEncoderImpl : public torch::nn::Module {
 public:
  explicit TransformerEncoderImpl(const TransformerOptions& options);
  // x [B, L, D]; padding [B, L] bool (true at padding positions). Causal: position i attends to
  // the real positions <= i; otherwise (S3-Rec's pretraining) to every real position. Returns
  // [B, L, D], zero at padding positions (Note [Packed real positions]).
  at::Tensor forward(const at::Tensor& x, const at::Tensor& padding, bool causal = true);

  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(TransformerEncoder);

// The attention mask forward() builds: causal, no padding key, and a padding query sees the keys
// up to itself (Note [Fully masked attention rows]). [B, 1, L, L] bool, true = may attend.
at::Tensor causal_padding_mask(const at::Tensor& padding);
// The bidirectional one: every real key, and a padding query every key. [B, 1, L, L] bool.
at::Tensor padding_mask(const at::Tensor& padding);

}  // namespace rsdist::models
