#include "models/transformer_encoder.hpp"

#include <ATen/ATen.h>

#include <cmath>

#include "core/error.hpp"

namespace rsdist::models {

MultiheadSelfAttentionImpl::MultiheadSelfAttentionImpl(std::int64_t d_model, std::int64_t nhead,
                                                       double dropout)
    : nhead_(nhead), dropout_(dropout) {
  RSDIST_CHECK(nhead > 0 && d_model % nhead == 0,
               "transformer: d_model {} is not a multiple of the {} attention heads", d_model,
               nhead);
  // PyTorch's initialisation (Xavier-uniform over the stacked projections, zero bias), drawn like
  // torch::nn::Linear's from the default generator; GCL4SR re-initialises every parameter anyway.
  const double bound = std::sqrt(6.0 / static_cast<double>(4 * d_model));
  in_proj_weight = register_parameter("in_proj_weight",
                                      at::empty({3 * d_model, d_model}).uniform_(-bound, bound));
  in_proj_bias = register_parameter("in_proj_bias", at::zeros({3 * d_model}));
  out_proj = register_module("out_proj", torch::nn::Linear(d_model, d_model));
}

at::Tensor PackedPositions::unpack(const at::Tensor& packed) const {
  return at::zeros({batch * length, packed.size(1)}, packed.options())
      .index_copy(0, index, packed)
      .view({batch, length, packed.size(1)});
}

at::Tensor PackedPositions::pack(const at::Tensor& dense) const {
  return dense.reshape({batch * length, dense.size(-1)}).index_select(0, index);
}

at::Tensor MultiheadSelfAttentionImpl::forward(const at::Tensor& x,
                                               const PackedPositions& positions,
                                               const at::Tensor& allowed) {
  const std::int64_t d_model = x.size(1);
  const std::int64_t head_dim = d_model / nhead_;
  const at::Tensor qkv = positions.unpack(at::linear(x, in_proj_weight, in_proj_bias));
  const std::vector<at::Tensor> parts = qkv.chunk(3, -1);
  const auto heads = [&](const at::Tensor& t) {  // [B, h, L, d]
    return t.reshape({positions.batch, positions.length, nhead_, head_dim}).transpose(1, 2);
  };
  const at::Tensor attended = at::scaled_dot_product_attention(
      heads(parts[0]), heads(parts[1]), heads(parts[2]), allowed, is_training() ? dropout_ : 0.0);
  return out_proj->forward(positions.pack(
      attended.transpose(1, 2).reshape({positions.batch, positions.length, d_model})));
}

TransformerEncoderLayerImpl::TransformerEncoderLayerImpl(const TransformerOptions& o)
    : dropout_(o.dropout), activation_dropout_(o.activation_dropout) {
  self_attn = register_module(
      "self_attn", MultiheadSelfAttention(o.d_model, o.nhead,
                                          o.attention_dropout >= 0 ? o.attention_dropout : o.dropout));
  linear1 = register_module("linear1", torch::nn::Linear(o.d_model, o.dim_feedforward));
  linear2 = register_module("linear2", torch::nn::Linear(o.dim_feedforward, o.d_model));
  norm1 = register_module(
      "norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.d_model}).eps(o.layer_norm_eps)));
  norm2 = register_module(
      "norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.d_model}).eps(o.layer_norm_eps)));
}

at::Tensor TransformerEncoderLayerImpl::forward(const at::Tensor& x,
                                                const PackedPositions& positions,
                                                const at::Tensor& allowed) {
  const bool train = is_training();
  at::Tensor h =
      norm1->forward(x + at::dropout(self_attn->forward(x, positions, allowed), dropout_, train));
  const at::Tensor ff = linear2->forward(
      at::dropout(at::gelu(linear1->forward(h)), activation_dropout_ ? dropout_ : 0.0, train));
  return norm2->forward(h + at::dropout(ff, dropout_, train));
}

TransformerEncoderImpl::TransformerEncoderImpl(const TransformerOptions& options) {
  RSDIST_CHECK(options.num_layers >= 1, "transformer: num_layers is {}; it must be >= 1",
               options.num_layers);
  layers = register_module("layers", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < options.num_layers; ++i) {
    layers->push_back(TransformerEncoderLayer(options));
  }
}

at::Tensor causal_padding_mask(const at::Tensor& padding) {
  const std::int64_t length = padding.size(1);
  const at::Tensor causal =
      at::ones({length, length}, padding.options().dtype(at::kBool)).tril();  // j <= i
  const at::Tensor key_real = padding.logical_not().view({-1, 1, 1, length});
  const at::Tensor query_pad = padding.view({-1, 1, length, 1});
  return causal.view({1, 1, length, length}) & (key_real | query_pad);
}

at::Tensor padding_mask(const at::Tensor& padding) {
  const std::int64_t length = padding.size(1);
  const at::Tensor key_real = padding.logical_not().view({-1, 1, 1, length});
  const at::Tensor query_pad = padding.view({-1, 1, length, 1});
  return key_real | query_pad;
}

at::Tensor TransformerEncoderImpl::forward(const at::Tensor& x, const at::Tensor& padding,
                                           bool causal) {
  RSDIST_CHECK(x.dim() == 3 && padding.dim() == 2 && padding.size(0) == x.size(0) &&
                   padding.size(1) == x.size(1),
               "transformer: expects x [B, L, D] and padding [B, L]");
  const at::Tensor allowed = causal ? causal_padding_mask(padding) : padding_mask(padding);
  const PackedPositions positions{padding.logical_not().reshape({-1}).nonzero().squeeze(1),
                                  x.size(0), x.size(1)};
  at::Tensor h = positions.pack(x);
  for (const auto& layer : *layers) {
    h = layer->as<TransformerEncoderLayer>()->forward(h, positions, allowed);
  }
  return positions.unpack(h);
}

}  // namespace rsdist::models
