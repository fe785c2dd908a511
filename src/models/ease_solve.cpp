#include "models/ease_solve.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/cholesky_inverse.h>
#include <ATen/ops/diagonal.h>
#include <ATen/ops/linalg_cholesky_ex.h>
#include <c10/core/ScalarTypeToTypeMeta.h>
#include <fmt/format.h>

#include "core/error.hpp"

namespace rsdist::models {
namespace {
std::string gigabytes(std::int64_t bytes) {
  return fmt::format("{:.2f} GB", static_cast<double>(bytes) / 1e9);
}
}  // namespace

std::int64_t ease_solve_bytes(std::int64_t items, at::ScalarType dtype) {
  return items * items *
         (static_cast<std::int64_t>(c10::elementSize(dtype)) * kEaseSolveCopies + 4);
}

void check_ease_memory(std::int64_t items, at::ScalarType dtype,
                       std::optional<std::int64_t> available, const std::string& where) {
  if (!available) return;
  const std::int64_t need = ease_solve_bytes(items, dtype);
  RSDIST_CHECK(need <= *available,
               "EASE on {} items needs {} for its solve ({} items x items {} matrices: the Gram "
               "matrix, its Cholesky factor and the inverse; and B in float32), but {} has {} "
               "available; use a "
               "device with more memory, fewer items (preprocess with --min_item_interactions), or "
               "--ease_dtype float32 if it is float64",
               items, gigabytes(need), kEaseSolveCopies, c10::toString(dtype), where,
               gigabytes(*available));
}

at::Tensor ease_weights(const at::Tensor& gram, double lambda) {
  RSDIST_CHECK(gram.dim() == 2 && gram.size(0) == gram.size(1),
               "EASE needs a square Gram matrix (got {} dimensions)", gram.dim());
  RSDIST_CHECK(lambda > 0, "EASE's lambda must be positive (got {})", lambda);
  const at::NoGradGuard no_grad;
  at::Tensor regularised = gram.clone();
  regularised.diagonal().add_(lambda);
  auto [factor, info] = at::linalg_cholesky_ex(regularised);
  regularised.reset();
  RSDIST_CHECK(info.item<std::int64_t>() == 0,
               "EASE: G + lambda I is not positive definite in {} (lambda {} too small for this "
               "data?)",
               c10::toString(gram.scalar_type()), lambda);
  at::Tensor weights = at::cholesky_inverse(factor);  // P
  factor.reset();
  const at::Tensor diagonal = weights.diagonal().clone();
  weights.div_(diagonal.unsqueeze(0)).neg_();  // B_ij = -P_ij / P_jj
  weights.diagonal().zero_();
  return weights;
}

}  // namespace rsdist::models
