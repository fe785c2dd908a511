#include "models/sparse_rows.hpp"

#include <ATen/ops/embedding_bag.h>
#include <ATen/ops/zeros.h>

#include "core/error.hpp"

namespace rsdist::models {

at::Tensor sparse_rows_mm(const SparseRows& x, const at::Tensor& matrix, const at::Tensor& values) {
  RSDIST_CHECK(matrix.dim() == 2, "sparse_rows_mm needs a 2-d matrix, got {} dimensions",
               matrix.dim());
  if (x.num_rows == 0) return at::zeros({0, matrix.size(1)}, matrix.options());
  // mode 0 = sum; per-sample weights are only allowed with it. Empty rows give zeros.
  return std::get<0>(at::embedding_bag(matrix, x.items, x.offsets, /*scale_grad_by_freq=*/false,
                                       /*mode=*/0, /*sparse=*/false, values));
}

at::Tensor sparse_row_sums(const SparseRows& x, const at::Tensor& values) {
  return at::zeros({x.num_rows}, values.options()).index_add(0, x.rows, values);
}

}  // namespace rsdist::models
