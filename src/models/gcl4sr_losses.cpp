#include "models/gcl4sr_losses.hpp"

#include <ATen/ATen.h>

#include <cmath>

#include "core/error.hpp"

namespace rsdist::models {
namespace {

constexpr double kLargeNumber = 1e9;  // the official code's LARGE_NUM

}  // namespace

at::Tensor graph_contrastive_loss(const at::Tensor& hidden, double temperature) {
  RSDIST_CHECK(hidden.dim() == 2 && hidden.size(0) % 2 == 0 && hidden.size(0) > 0,
               "graph contrastive loss: expects [2B, D] (two views stacked), got {} rows",
               hidden.dim() == 2 ? hidden.size(0) : -1);
  const std::int64_t batch = hidden.size(0) / 2;
  const at::Tensor normalised = hidden / hidden.norm(2, -1, true).clamp_min(1e-12);
  const at::Tensor a = normalised.narrow(0, 0, batch);
  const at::Tensor b = normalised.narrow(0, batch, batch);
  const at::Tensor labels = at::arange(batch, hidden.options().dtype(at::kLong));
  const at::Tensor self_mask = at::eye(batch, hidden.options()) * kLargeNumber;
  const at::Tensor aa = at::matmul(a, a.t()) / temperature - self_mask;
  const at::Tensor bb = at::matmul(b, b.t()) / temperature - self_mask;
  const at::Tensor ab = at::matmul(a, b.t()) / temperature;
  const at::Tensor ba = at::matmul(b, a.t()) / temperature;
  return at::cross_entropy_loss(at::cat({ab, aa}, 1), labels) +
         at::cross_entropy_loss(at::cat({ba, bb}, 1), labels);
}

at::Tensor gaussian_kernel_sum(const at::Tensor& source, const at::Tensor& target,
                               double kernel_mul, std::int64_t kernel_num) {
  RSDIST_CHECK(source.dim() == 2 && target.dim() == 2 && source.size(1) == target.size(1),
               "MMD: expects source [B, F] and target [B', F]");
  const at::Tensor total = at::cat({source, target}, 0);
  const std::int64_t n = total.size(0);
  const at::Tensor squared = total.pow(2).sum(1);
  const at::Tensor distance =
      (squared.unsqueeze(1) + squared.unsqueeze(0) - 2.0 * at::matmul(total, total.t()))
          .clamp_min(0.0);
  at::Tensor bandwidth = distance.detach().sum() / static_cast<double>(n * n - n);
  bandwidth = bandwidth / std::pow(kernel_mul, static_cast<double>(kernel_num / 2));
  at::Tensor sum = at::zeros_like(distance);
  for (std::int64_t i = 0; i < kernel_num; ++i) {
    sum = sum + at::exp(-distance / (bandwidth * std::pow(kernel_mul, static_cast<double>(i))));
  }
  return sum;
}

at::Tensor mmd_loss(const at::Tensor& source, const at::Tensor& target, double kernel_mul,
                    std::int64_t kernel_num) {
  RSDIST_CHECK(source.sizes() == target.sizes(), "MMD: source and target differ in shape");
  const std::int64_t batch = source.size(0);
  const at::Tensor k = gaussian_kernel_sum(source, target, kernel_mul, kernel_num);
  const at::Tensor ss = k.narrow(0, 0, batch).narrow(1, 0, batch);
  const at::Tensor tt = k.narrow(0, batch, batch).narrow(1, batch, batch);
  const at::Tensor st = k.narrow(0, 0, batch).narrow(1, batch, batch);
  const at::Tensor ts = k.narrow(0, batch, batch).narrow(1, 0, batch);
  return (ss + tt - st - ts).mean();
}

}  // namespace rsdist::models
