// NAML's news encoder (Wu et al., IJCAI 2019, as NNR's `NAML` news encoder): four views of an
// article — title, abstract, category, subcategory — each turned into a D-dimensional vector, then
// combined by attention over the views.
//
//   title/abstract: word vectors -> dropout -> Conv1d(Dw, D, window, "same" padding) -> ReLU
//                   -> dropout -> additive attention over the words          -> [U, D]
//   (sub)category:  embedding -> Linear(category_embedding_dim, D) -> ReLU   -> [U, D]
//   news:           additive attention over the 4 stacked views              -> [U, D]
//
// The word-level attention is NOT masked, as in the reference: padded positions hold the <PAD>
// word (index 0, vector zero at initialisation) and take part in the convolution and attention.
// The title/abstract masks of NewsInputs are therefore not read here.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "models/additive_attention.hpp"
#include "models/click_batch.hpp"
#include "models/naml_options.hpp"

namespace rsdist::models {

class NamlNewsEncoderImpl : public torch::nn::Module {
 public:
  // `options` must have passed validate_naml_options.
  NamlNewsEncoderImpl(const NamlOptions& options, at::Generator& generator);

  // U articles -> [U, D] with D = cnn_kernel_num. Shapes are checked (no device synchronisation:
  // indices are not range-checked here; an out-of-range index fails inside the embedding).
  at::Tensor forward(const NewsInputs& news);

  std::int64_t news_dim() const { return news_dim_; }

  // Parameter names (stable, as PyTorch would name the same attributes):
  torch::nn::Embedding word_embedding{nullptr};
  torch::nn::Conv1d title_conv{nullptr};
  torch::nn::Conv1d abstract_conv{nullptr};
  AdditiveAttention title_attention{nullptr};
  AdditiveAttention abstract_attention{nullptr};
  torch::nn::Embedding category_embedding{nullptr};
  torch::nn::Embedding subcategory_embedding{nullptr};
  torch::nn::Linear category_affine{nullptr};
  torch::nn::Linear subcategory_affine{nullptr};
  AdditiveAttention view_attention{nullptr};

 private:
  // [U, L] word ids -> [U, D] through one text view's convolution and attention.
  at::Tensor encode_text(const at::Tensor& words, torch::nn::Conv1d& conv,
                         AdditiveAttention& attention);

  std::int64_t news_dim_;
  double dropout_;
};
TORCH_MODULE(NamlNewsEncoder);

}  // namespace rsdist::models
