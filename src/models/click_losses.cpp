#include "models/click_losses.hpp"

#include <ATen/ATen.h>
#include <fmt/ranges.h>

#include "core/error.hpp"

namespace rsdist::models {
namespace {

// Checks [B, C] with B, C >= 1 and returns the logits in float32 when they are bf16/fp16.
at::Tensor loss_input(const at::Tensor& logits, const char* loss) {
  RSDIST_CHECK(logits.defined() && logits.dim() == 2 && logits.size(0) > 0 && logits.size(1) > 0,
               "{}: logits must be [B, C] with B, C >= 1 (column 0 the clicked news), got [{}]",
               loss, logits.defined() ? fmt::format("{}", fmt::join(logits.sizes(), ", ")) : "");
  return at::isReducedFloatingType(logits.scalar_type()) ? logits.to(at::kFloat) : logits;
}

}  // namespace

at::Tensor negative_log_softmax_loss(const at::Tensor& logits) {
  const at::Tensor x = loss_input(logits, "negative_log_softmax_loss");
  return -at::log_softmax(x, /*dim=*/1).select(/*dim=*/1, 0).mean();
}

at::Tensor negative_log_sigmoid_loss(const at::Tensor& logits) {
  const at::Tensor x = loss_input(logits, "negative_log_sigmoid_loss");
  const at::Tensor positive = at::clamp(at::sigmoid(x.select(1, 0)), 1e-15, 1.0);
  const at::Tensor negative = at::clamp(at::sigmoid(-x.slice(1, 1)), 1e-15, 1.0);
  return -(at::log(positive).sum() + at::log(negative).sum()) / static_cast<double>(x.numel());
}

}  // namespace rsdist::models
