// What a NAML model is built from: sizes, the initial word vectors, regularisation and the
// choice of click predictor. Validated once, before any module is built, so that a bad
// configuration stops with the option's name rather than with a shape error deep inside LibTorch.
//
// The names follow NNR's configuration (cnn_kernel_num, cnn_window_size, attention_dim, ...), which
// the trainer's [model] options reuse.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace rsdist::models {

// How a user vector and a candidate news vector become a click logit (NNR's `click_predictor`).
enum class ClickPredictorKind {
  kDotProduct,  // <user, news>: encodings can be precomputed and scored with one matmul
  kMlp,         // Linear(2D, attention_dim) -> ReLU -> dropout -> Linear(attention_dim, 1)
};

// "dot_product" | "mlp" -> kind; throws naming the option and the accepted values otherwise.
ClickPredictorKind click_predictor_from_name(std::string_view name);
std::string_view click_predictor_name(ClickPredictorKind kind);

struct NamlOptions {
  // [W, Dw] float32 initial word vectors (news.h5 `words/embedding`); copied, row 0 (<PAD>) set to
  // zero. W and Dw are taken from it.
  at::Tensor word_embedding;
  // true: the word vectors stay as given (requires_grad false; an optimizer built over the
  // parameters that require grad leaves them out).
  bool freeze_word_embedding = false;
  std::int64_t categories = 0;     // number of categories (0-based indices, no padding row)
  std::int64_t subcategories = 0;  // number of subcategories
  std::int64_t category_embedding_dim = 50;
  std::int64_t cnn_kernel_num = 400;  // D: the dimension of every news and user vector
  std::int64_t cnn_window_size = 3;   // odd, so that "same" padding keeps the text length
  std::int64_t attention_dim = 200;   // hidden size of every additive attention and of the MLP
  double dropout = 0.2;               // on word vectors, on convolution outputs, in the MLP
  ClickPredictorKind click_predictor = ClickPredictorKind::kDotProduct;
  // true: padded history slots get no attention weight in the user encoder. NNR leaves them
  // unmasked (they then carry the <PAD> news's encoding into every short history); false
  // reproduces that.
  bool mask_history = true;
  // Parameters are drawn from a CPU generator seeded with this (see seeded_init.hpp), so the
  // initial weights depend on this seed alone.
  std::uint64_t init_seed = 0;
};

// Throws rsdist::Error naming the first invalid option (sizes > 0, odd window, dropout in [0, 1),
// a 2-D floating-point word embedding with at least one row).
void validate_naml_options(const NamlOptions& options);

}  // namespace rsdist::models
