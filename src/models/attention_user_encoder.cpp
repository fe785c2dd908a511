#include "models/attention_user_encoder.hpp"

#include <fmt/ranges.h>

#include "core/error.hpp"

namespace rsdist::models {

AttentionUserEncoderImpl::AttentionUserEncoderImpl(std::int64_t news_dim,
                                                   std::int64_t attention_dim, bool mask_history,
                                                   at::Generator& generator)
    : mask_history_(mask_history) {
  attention = register_module("attention", AdditiveAttention(news_dim, attention_dim, generator));
}

at::Tensor AttentionUserEncoderImpl::forward(const at::Tensor& history_vectors,
                                             const at::Tensor& history_mask) {
  RSDIST_CHECK(history_vectors.dim() == 3,
               "user encoder: history vectors must be [B, H, D], got [{}]",
               fmt::join(history_vectors.sizes(), ", "));
  RSDIST_CHECK(
      history_mask.defined() && history_mask.sizes() == history_vectors.sizes().slice(0, 2),
      "user encoder: history mask must be [B, H] = [{}], got [{}]",
      fmt::join(history_vectors.sizes().slice(0, 2), ", "),
      history_mask.defined() ? fmt::format("{}", fmt::join(history_mask.sizes(), ", "))
                             : "undefined");
  return attention(history_vectors, mask_history_ ? history_mask : at::Tensor());
}

}  // namespace rsdist::models
