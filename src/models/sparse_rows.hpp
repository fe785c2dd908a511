// Users' item sets as sparse rows on the device, and the one product that needs them: X . M with
// X the [B, I] 0/1 (or weighted) matrix of the rows, computed as a sum of M's rows per user
// (embedding_bag), never materialising X. Mult-VAE's first encoder layer (M = W^T, [I, 600]) and
// EASE's scores (M = B, [I, I]) both use it: the cost is nnz x D instead of B x I x D.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace rsdist::models {

struct SparseRows {
  at::Tensor items;    // [nnz] int64: the entries' columns, row by row
  at::Tensor offsets;  // [B] int64: where row b's entries start in `items`
  at::Tensor rows;     // [nnz] int64: the row of each entry
  std::int64_t num_rows = 0;

  std::int64_t nnz() const { return items.defined() ? items.numel() : 0; }
  // The same rows on `device` (non-blocking copies: from page-locked memory they overlap).
  SparseRows to(at::Device device) const {
    return {items.to(device, /*non_blocking=*/true), offsets.to(device, /*non_blocking=*/true),
            rows.to(device, /*non_blocking=*/true), num_rows};
  }
};

// X . matrix, [B, D], where X[b, items[e]] = values[e] for row b's entries e (1 where `values` is
// undefined). `matrix` is [I, D]; `values` [nnz] of its dtype. Differentiable in `matrix` and
// `values`.
at::Tensor sparse_rows_mm(const SparseRows& x, const at::Tensor& matrix,
                          const at::Tensor& values = {});

// Per row, the sum of `values` [nnz] over its entries: [B].
at::Tensor sparse_row_sums(const SparseRows& x, const at::Tensor& values);

}  // namespace rsdist::models
