#include "models/naml_options.hpp"

#include <fmt/ranges.h>

#include "core/error.hpp"

namespace rsdist::models {
namespace {

void check_positive(std::int64_t value, const char* name) {
  RSDIST_CHECK(value > 0, "NAML option {} must be positive, got {}", name, value);
}

}  // namespace

ClickPredictorKind click_predictor_from_name(std::string_view name) {
  if (name == "dot_product") return ClickPredictorKind::kDotProduct;
  if (name == "mlp") return ClickPredictorKind::kMlp;
  RSDIST_THROW("NAML option click_predictor must be dot_product or mlp, got '{}'", name);
}

std::string_view click_predictor_name(ClickPredictorKind kind) {
  switch (kind) {
    case ClickPredictorKind::kDotProduct:
      return "dot_product";
    case ClickPredictorKind::kMlp:
      return "mlp";
  }
  RSDIST_THROW("unknown ClickPredictorKind {}", static_cast<int>(kind));
}

void validate_naml_options(const NamlOptions& options) {
  const at::Tensor& words = options.word_embedding;
  RSDIST_CHECK(words.defined(),
               "NAML option word_embedding is missing: pass the corpus's [W, Dw] word vectors "
               "(news.h5 words/embedding)");
  RSDIST_CHECK(words.dim() == 2 && words.size(0) > 0 && words.size(1) > 0,
               "NAML option word_embedding must be a non-empty [W, Dw] matrix, got shape [{}]",
               fmt::join(words.sizes(), ", "));
  RSDIST_CHECK(words.is_floating_point(),
               "NAML option word_embedding must hold floating-point values, got {}",
               c10::toString(words.scalar_type()));
  check_positive(options.categories, "categories");
  check_positive(options.subcategories, "subcategories");
  check_positive(options.category_embedding_dim, "category_embedding_dim");
  check_positive(options.cnn_kernel_num, "cnn_kernel_num");
  check_positive(options.cnn_window_size, "cnn_window_size");
  RSDIST_CHECK(options.cnn_window_size % 2 == 1,
               "NAML option cnn_window_size must be odd (padding (window - 1) / 2 keeps the text "
               "length only for odd windows), got {}",
               options.cnn_window_size);
  check_positive(options.attention_dim, "attention_dim");
  RSDIST_CHECK(options.dropout >= 0.0 && options.dropout < 1.0,
               "NAML option dropout must be in [0, 1), got {}", options.dropout);
  click_predictor_name(options.click_predictor);  // throws on a value outside the enum
}

}  // namespace rsdist::models
