#include "loader/ratings/user_row_batcher.hpp"

#include <ATen/ops/empty.h>

#include "core/error.hpp"
#include "core/stopwatch.hpp"

namespace rsdist::loader {

models::SparseRows host_sparse_rows(const ratings::UserItemMatrix& matrix,
                                    std::span<const std::int64_t> users, bool pinned) {
  const std::int64_t num_rows =
      users.empty() ? matrix.num_users() : static_cast<std::int64_t>(users.size());
  const auto user = [&](std::int64_t b) {
    return users.empty() ? b : users[static_cast<std::size_t>(b)];
  };
  std::int64_t nnz = 0;
  for (std::int64_t b = 0; b < num_rows; ++b) nnz += matrix.size_of(user(b));
  const auto host = [&](std::int64_t n) {
    return at::empty({n}, at::TensorOptions().dtype(at::kLong).pinned_memory(pinned));
  };
  models::SparseRows x{host(nnz), host(num_rows), host(nnz), num_rows};
  auto* items = x.items.data_ptr<std::int64_t>();
  auto* offsets = x.offsets.data_ptr<std::int64_t>();
  auto* rows = x.rows.data_ptr<std::int64_t>();
  std::int64_t e = 0;
  for (std::int64_t b = 0; b < num_rows; ++b) {
    offsets[b] = e;
    for (const std::int32_t item : matrix.items_of(user(b))) {
      items[e] = item;
      rows[e] = b;
      ++e;
    }
  }
  return x;
}

UserRowBatcher::UserRowBatcher(const ratings::UserItemMatrix& matrix,
                               const std::vector<std::int64_t>& sample_users,
                               std::vector<std::int64_t> order, const UserRowBatcherOptions& options)
    : PrefetchingBatcher(std::move(order), options.batch_size, options.threads,
                         options.prefetch_batches),
      matrix_(matrix),
      sample_users_(sample_users),
      options_(options) {
  start_prefetching();
}

UserRowBatcher::~UserRowBatcher() { stop_prefetching(); }

AssembledRows UserRowBatcher::assemble(std::int64_t batch, int /*worker*/) {
  const auto start = SteadyClock::now();
  const std::span<const std::int64_t> ids = batch_ids(batch);
  std::vector<std::int64_t> users;
  users.reserve(ids.size());
  for (const std::int64_t id : ids) {
    RSDIST_CHECK(id >= 0 && id < static_cast<std::int64_t>(sample_users_.size()),
                 "user-row sample {} out of range (0..{})", id, sample_users_.size());
    users.push_back(sample_users_[static_cast<std::size_t>(id)]);
  }
  AssembledRows out{host_sparse_rows(matrix_, users, options_.device.is_cuda()), 0.0};
  out.build_seconds = seconds_since(start);
  return out;
}

models::SparseRows UserRowBatcher::deliver(AssembledRows&& assembled,
                                           UserRowLoaderStatistics& statistics) {
  models::SparseRows rows = std::move(assembled.rows);
  if (options_.device.is_cuda()) rows = rows.to(options_.device);
  statistics.batches += 1;
  statistics.users += rows.num_rows;
  statistics.entries += rows.nnz();
  statistics.build_seconds += assembled.build_seconds;
  return rows;
}

}  // namespace rsdist::loader
