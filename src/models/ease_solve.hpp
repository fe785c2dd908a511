// EASE's closed form (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019):
// from the Gram matrix G = X^T X of the training rows, P = (G + lambda I)^-1 through a Cholesky
// factorisation (G + lambda I is symmetric positive definite for lambda > 0) and
// B = -P / diag(P) column by column with diag(B) = 0; a user's scores are x_u B.
//
// Memory: at its peak the fit holds G (kept for a lambda sweep), a working copy that becomes the
// Cholesky factor, the inverse (each items x items in the solve's dtype) and the model's B
// (float32); ease_solve_bytes() says how much that is, so a caller can refuse before allocating
// (check_ease_memory) instead of running out of memory half way.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <optional>
#include <string>

namespace rsdist::models {

inline constexpr int kEaseSolveCopies = 3;  // G, the factor, the inverse; plus B in float32

// Bytes the solve of `items` items holds at its peak in `dtype`.
std::int64_t ease_solve_bytes(std::int64_t items, at::ScalarType dtype);

// Throws naming the item count, the bytes needed and `available` (of `where`, e.g. "cpu" or
// "cuda:0") when the solve does not fit; does nothing when available is unknown (nullopt).
void check_ease_memory(std::int64_t items, at::ScalarType dtype,
                       std::optional<std::int64_t> available, const std::string& where);

// B [I, I] in gram's dtype and on its device, diag(B) = 0. `gram` is left unchanged.
at::Tensor ease_weights(const at::Tensor& gram, double lambda);

}  // namespace rsdist::models
