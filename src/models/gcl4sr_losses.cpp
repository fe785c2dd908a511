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

namespace {

// sum over i < kernel_num of exp(-distance / (bandwidth * kernel_mul^i)). For kernel_mul = 2
// the widest kernel is computed once and the others by squaring (exp(-d / w)^2 = exp(-d / (w /
// 2))): one exp instead of kernel_num, equal to float rounding.
at::Tensor kernel_sum(const at::Tensor& distance, const at::Tensor& bandwidth, double kernel_mul,
                      std::int64_t kernel_num) {
  if (kernel_mul != 2.0) {
    at::Tensor sum = at::zeros_like(distance);
    for (std::int64_t i = 0; i < kernel_num; ++i) {
      sum = sum + at::exp(-distance / (bandwidth * std::pow(kernel_mul, static_cast<double>(i))));
    }
    return sum;
  }
  at::Tensor kernel = at::exp(-distance / (bandwidth * std::pow(2.0, kernel_num - 1)));
  at::Tensor sum = kernel;
  for (std::int64_t i = kernel_num - 2; i >= 0; --i) {
    kernel = kernel * kernel;
    sum = sum + kernel;
  }
  return sum;
}

// Squared distances between the rows of a and b, [A, B], clamped at 0.
at::Tensor squared_distances(const at::Tensor& a, const at::Tensor& b) {
  return (a.pow(2).sum(1).unsqueeze(1) + b.pow(2).sum(1).unsqueeze(0) - 2.0 * at::matmul(a, b.t()))
      .clamp_min(0.0);
}

// The reference's bandwidth: the mean squared distance over the n^2 - n off-diagonal pairs of
// `total`, divided by kernel_mul^(kernel_num / 2); no gradient. The sum of all pairwise squared
// distances is 2n * sum |x|^2 - 2 |sum x|^2, so the n x n matrix is not needed for it.
at::Tensor base_bandwidth(const at::Tensor& total, double kernel_mul, std::int64_t kernel_num) {
  const at::Tensor x = total.detach().to(at::kDouble);
  const auto n = static_cast<double>(total.size(0));
  const at::Tensor sum = 2.0 * n * x.pow(2).sum() - 2.0 * x.sum(0).pow(2).sum();
  return (sum.clamp_min(0.0) / (n * n - n) /
          std::pow(kernel_mul, static_cast<double>(kernel_num / 2)))
      .to(total.scalar_type());
}

}  // namespace

at::Tensor gaussian_kernel_sum(const at::Tensor& source, const at::Tensor& target,
                               double kernel_mul, std::int64_t kernel_num) {
  RSDIST_CHECK(source.dim() == 2 && target.dim() == 2 && source.size(1) == target.size(1),
               "MMD: expects source [B, F] and target [B', F]");
  const at::Tensor total = at::cat({source, target}, 0);
  return kernel_sum(squared_distances(total, total), base_bandwidth(total, kernel_mul, kernel_num),
                    kernel_mul, kernel_num);
}

// The reference's mean(K_ss + K_tt - K_st - K_ts) with K_ts = K_st^T, so three B x B blocks are
// formed instead of the 2B x 2B matrix.
at::Tensor mmd_loss(const at::Tensor& source, const at::Tensor& target, double kernel_mul,
                    std::int64_t kernel_num) {
  RSDIST_CHECK(source.dim() == 2 && source.sizes() == target.sizes(),
               "MMD: source and target must both be [B, F]");
  const at::Tensor bandwidth = base_bandwidth(at::cat({source, target}, 0), kernel_mul, kernel_num);
  const auto block = [&](const at::Tensor& a, const at::Tensor& b) {
    return kernel_sum(squared_distances(a, b), bandwidth, kernel_mul, kernel_num).mean();
  };
  return block(source, source) + block(target, target) - 2.0 * block(source, target);
}

}  // namespace rsdist::models
