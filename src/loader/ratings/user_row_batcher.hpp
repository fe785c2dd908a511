// Training batches of whole user rows (Mult-VAE: a batch is B users' item sets) in one rank's
// sample order for one epoch: batch j holds the users of samples order[j*B, (j+1)*B), as
// SparseRows (models/sparse_rows.hpp: the entries' items, row offsets, rows) assembled on the host
// by background threads and moved to the model's device (page-locked memory and non-blocking copies
// on CUDA). No batch is ever a dense users x items matrix. A batch depends only on the corpus and
// its sample ids.
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <span>
#include <vector>

#include "data/ratings/user_item_matrix.hpp"
#include "loader/prefetching_batcher.hpp"
#include "models/sparse_rows.hpp"

namespace rsdist::loader {

// Rows `users` of `matrix` (every row when `users` is empty) as SparseRows on the host, in
// page-locked memory when `pinned`.
models::SparseRows host_sparse_rows(const ratings::UserItemMatrix& matrix,
                                    std::span<const std::int64_t> users, bool pinned);

struct UserRowBatcherOptions {
  std::int64_t batch_size = 500;
  std::int32_t threads = 1;           // background assemblers; 0 assembles inside next()
  std::int32_t prefetch_batches = 4;  // batches assembled ahead of the consumer, at most
  at::Device device = at::kCPU;
};

struct UserRowLoaderStatistics {
  std::int64_t batches = 0;
  std::int64_t users = 0;
  std::int64_t entries = 0;  // interactions in the rows delivered
  double wait_seconds = 0;   // consumer time inside next()
  double build_seconds = 0;  // worker time assembling, summed over workers
};

struct AssembledRows {
  models::SparseRows rows;  // on the host
  double build_seconds = 0;
};

class UserRowBatcher final
    : public PrefetchingBatcher<AssembledRows, models::SparseRows, UserRowLoaderStatistics> {
 public:
  // Sample k is user sample_users[k] of `matrix`; `order` holds sample ids in training order.
  // `matrix` and `sample_users` must outlive this.
  UserRowBatcher(const ratings::UserItemMatrix& matrix,
                 const std::vector<std::int64_t>& sample_users, std::vector<std::int64_t> order,
                 const UserRowBatcherOptions& options);
  ~UserRowBatcher() override;

 private:
  AssembledRows assemble(std::int64_t batch, int worker) override;
  models::SparseRows deliver(AssembledRows&& assembled,
                             UserRowLoaderStatistics& statistics) override;

  const ratings::UserItemMatrix& matrix_;
  const std::vector<std::int64_t>& sample_users_;
  const UserRowBatcherOptions options_;
};

}  // namespace rsdist::loader
