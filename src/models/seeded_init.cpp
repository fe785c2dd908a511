#include "models/seeded_init.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty_like.h>
#include <fmt/ranges.h>

#include <cmath>

#include "core/error.hpp"

namespace rsdist::models {

at::Generator make_init_generator(std::uint64_t seed) {
  return at::detail::createCPUGenerator(seed);
}

void xavier_uniform_(at::Tensor weight, double gain, at::Generator& generator) {
  RSDIST_CHECK(weight.dim() >= 2,
               "xavier_uniform_ needs a weight of 2 or more dimensions, got [{}]",
               fmt::join(weight.sizes(), ", "));
  const std::int64_t receptive_field = weight[0][0].numel();
  const std::int64_t fan_in = weight.size(1) * receptive_field;
  const std::int64_t fan_out = weight.size(0) * receptive_field;
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  uniform_(weight, -bound, bound, generator);
}

void uniform_(at::Tensor tensor, double low, double high, at::Generator& generator) {
  const at::NoGradGuard no_grad;
  tensor.uniform_(low, high, generator);
}

void normal_(at::Tensor tensor, double mean, double std, at::Generator& generator) {
  const at::NoGradGuard no_grad;
  tensor.normal_(mean, std, generator);
}

void truncated_normal_(at::Tensor tensor, double std, at::Generator& generator) {
  const at::NoGradGuard no_grad;
  tensor.normal_(0.0, std, generator);
  for (at::Tensor outside = tensor.abs().gt(2 * std); outside.any().item<bool>();
       outside = tensor.abs().gt(2 * std)) {
    tensor.masked_scatter_(outside, at::empty_like(tensor).normal_(0.0, std, generator));
  }
}

void zeros_(at::Tensor tensor) {
  const at::NoGradGuard no_grad;
  tensor.zero_();
}

}  // namespace rsdist::models
