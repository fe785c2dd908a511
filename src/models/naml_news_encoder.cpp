#include "models/naml_news_encoder.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {
namespace {

torch::nn::Conv1d make_conv(const NamlOptions& options, at::Generator& generator) {
  const std::int64_t word_dim = options.word_embedding.size(1);
  torch::nn::Conv1d conv(
      torch::nn::Conv1dOptions(word_dim, options.cnn_kernel_num, options.cnn_window_size)
          .padding((options.cnn_window_size - 1) / 2));
  xavier_uniform_(conv->weight, kReluGain, generator);
  zeros_(conv->bias);
  return conv;
}

torch::nn::Embedding make_category_embedding(std::int64_t count, std::int64_t dim,
                                             at::Generator& generator) {
  torch::nn::Embedding embedding(torch::nn::EmbeddingOptions(count, dim));
  uniform_(embedding->weight, -0.1, 0.1, generator);
  return embedding;
}

torch::nn::Linear make_category_affine(const NamlOptions& options, at::Generator& generator) {
  torch::nn::Linear affine(
      torch::nn::LinearOptions(options.category_embedding_dim, options.cnn_kernel_num));
  xavier_uniform_(affine->weight, kReluGain, generator);
  zeros_(affine->bias);
  return affine;
}

void check_news_inputs(const NewsInputs& news) {
  const auto shape = [](const at::Tensor& t) {
    return t.defined() ? fmt::format("[{}]", fmt::join(t.sizes(), ", ")) : "undefined";
  };
  RSDIST_CHECK(news.title.defined() && news.title.dim() == 2,
               "NAML news encoder: title must be [U, Lt] word ids, got {}", shape(news.title));
  const std::int64_t count = news.title.size(0);
  RSDIST_CHECK(
      news.abstract.defined() && news.abstract.dim() == 2 && news.abstract.size(0) == count,
      "NAML news encoder: abstract must be [U, La] with U = {} like the title, got {}", count,
      shape(news.abstract));
  RSDIST_CHECK(
      news.category.defined() && news.category.dim() == 1 && news.category.size(0) == count,
      "NAML news encoder: category must be [U] with U = {}, got {}", count, shape(news.category));
  RSDIST_CHECK(news.subcategory.defined() && news.subcategory.dim() == 1 &&
                   news.subcategory.size(0) == count,
               "NAML news encoder: subcategory must be [U] with U = {}, got {}", count,
               shape(news.subcategory));
}

}  // namespace

NamlNewsEncoderImpl::NamlNewsEncoderImpl(const NamlOptions& options, at::Generator& generator)
    : news_dim_(options.cnn_kernel_num), dropout_(options.dropout) {
  const at::Tensor& words = options.word_embedding;
  word_embedding = register_module(
      "word_embedding",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(words.size(0), words.size(1))));
  {
    const at::NoGradGuard no_grad;
    word_embedding->weight.copy_(words);
    word_embedding->weight[0].zero_();  // <PAD>
  }
  word_embedding->weight.set_requires_grad(!options.freeze_word_embedding);

  title_conv = register_module("title_conv", make_conv(options, generator));
  abstract_conv = register_module("abstract_conv", make_conv(options, generator));
  title_attention =
      register_module("title_attention",
                      AdditiveAttention(options.cnn_kernel_num, options.attention_dim, generator));
  abstract_attention =
      register_module("abstract_attention",
                      AdditiveAttention(options.cnn_kernel_num, options.attention_dim, generator));
  category_embedding = register_module(
      "category_embedding",
      make_category_embedding(options.categories, options.category_embedding_dim, generator));
  subcategory_embedding = register_module(
      "subcategory_embedding",
      make_category_embedding(options.subcategories, options.category_embedding_dim, generator));
  category_affine = register_module("category_affine", make_category_affine(options, generator));
  subcategory_affine =
      register_module("subcategory_affine", make_category_affine(options, generator));
  view_attention =
      register_module("view_attention",
                      AdditiveAttention(options.cnn_kernel_num, options.attention_dim, generator));
}

at::Tensor NamlNewsEncoderImpl::encode_text(const at::Tensor& words, torch::nn::Conv1d& conv,
                                            AdditiveAttention& attention) {
  const at::Tensor vectors = at::dropout(word_embedding(words), dropout_, is_training());
  // Conv1d reads [U, channels, length]; attention reads [U, length, features].
  const at::Tensor local = at::relu(conv(vectors.transpose(1, 2))).transpose(1, 2);
  return attention(at::dropout(local, dropout_, is_training()));
}

at::Tensor NamlNewsEncoderImpl::forward(const NewsInputs& news) {
  check_news_inputs(news);
  const at::Tensor title = encode_text(news.title, title_conv, title_attention);
  const at::Tensor abstract = encode_text(news.abstract, abstract_conv, abstract_attention);
  const at::Tensor category = at::relu(category_affine(category_embedding(news.category)));
  const at::Tensor subcategory =
      at::relu(subcategory_affine(subcategory_embedding(news.subcategory)));
  // [U, 4, D] in NNR's view order; attention over the views, no mask.
  return view_attention(at::stack({title, abstract, category, subcategory}, /*dim=*/1));
}

}  // namespace rsdist::models
