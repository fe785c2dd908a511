#include "models/naml_model.hpp"

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {
namespace {

// Rows `index` [B, K] of `vectors` [U, D] -> [B, K, D].
at::Tensor gather_rows(const at::Tensor& vectors, const at::Tensor& index) {
  return vectors.index_select(0, index.reshape(-1))
      .view({index.size(0), index.size(1), vectors.size(1)});
}

void check_batch_indices(const ClickBatch& batch) {
  const auto shape = [](const at::Tensor& t) {
    return t.defined() ? fmt::format("[{}]", fmt::join(t.sizes(), ", ")) : "undefined";
  };
  RSDIST_CHECK(batch.history_index.defined() && batch.history_index.dim() == 2,
               "click batch: history_index must be [B, H], got {}", shape(batch.history_index));
  RSDIST_CHECK(batch.candidate_index.defined() && batch.candidate_index.dim() == 2 &&
                   batch.candidate_index.size(0) == batch.history_index.size(0),
               "click batch: candidate_index must be [B, C] with B = {} like history_index, got {}",
               batch.history_index.size(0), shape(batch.candidate_index));
}

}  // namespace

NamlModelImpl::NamlModelImpl(const NamlOptions& options) : options_(options) {
  validate_naml_options(options);
  at::Generator generator = make_init_generator(options.init_seed);
  news_encoder = register_module("news_encoder", NamlNewsEncoder(options, generator));
  user_encoder = register_module("user_encoder",
                                 AttentionUserEncoder(options.cnn_kernel_num, options.attention_dim,
                                                      options.mask_history, generator));
  click_predictor = register_module(
      "click_predictor", ClickPredictor(options.click_predictor, options.cnn_kernel_num,
                                        options.attention_dim, options.dropout, generator));
  options_.word_embedding = at::Tensor();
}

at::Tensor NamlModelImpl::encode_news(const NewsInputs& news) { return news_encoder(news); }

at::Tensor NamlModelImpl::encode_users(const at::Tensor& history_vectors,
                                       const at::Tensor& history_mask) {
  return user_encoder(history_vectors, history_mask);
}

at::Tensor NamlModelImpl::score(const at::Tensor& users, const at::Tensor& candidates) {
  return click_predictor(users, candidates);
}

at::Tensor NamlModelImpl::forward(const ClickBatch& batch) {
  check_batch_indices(batch);
  const at::Tensor news_vectors = encode_news(batch.news);  // [U, D], each article once
  const at::Tensor users =
      encode_users(gather_rows(news_vectors, batch.history_index), batch.history_mask);
  return score(users, gather_rows(news_vectors, batch.candidate_index));
}

}  // namespace rsdist::models
