// NAML (news encoder) + ATT (user encoder) + a click predictor: the click model trained on MIND.
//
// Training calls forward(batch): the batch's distinct news are encoded once ([U, D]) and the
// history and candidate slots gather their rows (see click_batch.hpp). Evaluation uses the pieces
// separately: encode_news over the whole news table in chunks, encode_users once per impression
// history, then score, so that no article or user is encoded twice.
//
// Parameter names are stable and PyTorch-like ("news_encoder.title_conv.weight",
// "user_encoder.attention.affine1.weight", "click_predictor.mlp.weight"): checkpoints and the
// PyTorch export key on them.
//
// forward makes no host synchronisation (no .item(), no data-dependent shapes), so it runs
// asynchronously on CUDA; under bf16 autocast the attention softmaxes stay in float32 and the
// losses (click_losses.hpp) are computed in float32.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "models/attention_user_encoder.hpp"
#include "models/click_batch.hpp"
#include "models/click_predictor.hpp"
#include "models/naml_news_encoder.hpp"
#include "models/naml_options.hpp"

namespace rsdist::models {

class NamlModelImpl : public torch::nn::Module {
 public:
  // Validates `options` (throws rsdist::Error naming the option) and initialises every parameter
  // from options.init_seed (seeded_init.hpp). The model is built on the CPU; move it with .to().
  explicit NamlModelImpl(const NamlOptions& options);

  // batch -> logits [B, C]; in training column 0 is the clicked candidate.
  at::Tensor forward(const ClickBatch& batch);

  // U articles -> [U, D].
  at::Tensor encode_news(const NewsInputs& news);
  // history_vectors [B, H, D], history_mask [B, H] -> users [B, D].
  at::Tensor encode_users(const at::Tensor& history_vectors, const at::Tensor& history_mask);
  // users [B, D], candidates [B, C, D] -> logits [B, C].
  at::Tensor score(const at::Tensor& users, const at::Tensor& candidates);

  // D, the size of news and user vectors (cnn_kernel_num).
  std::int64_t news_dim() const { return options_.cnn_kernel_num; }
  // The options it was built with, except word_embedding, which is left empty: the vectors live
  // in news_encoder->word_embedding (a second copy of a GloVe matrix would only cost memory).
  const NamlOptions& options() const { return options_; }

  NamlNewsEncoder news_encoder{nullptr};
  AttentionUserEncoder user_encoder{nullptr};
  ClickPredictor click_predictor{nullptr};

 private:
  NamlOptions options_;
};
TORCH_MODULE(NamlModel);

}  // namespace rsdist::models
