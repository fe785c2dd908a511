#include "loader/ratings/interaction_batcher.hpp"

#include <ATen/ops/empty.h>

#include "core/stopwatch.hpp"

namespace rsdist::loader {

InteractionBatcher::InteractionBatcher(const TrainingInteractions& instances,
                                       std::vector<std::int64_t> order,
                                       const InteractionBatcherOptions& options)
    : PrefetchingBatcher(std::move(order), options.batch_size, options.threads,
                         options.prefetch_batches),
      instances_(instances),
      options_(options) {
  start_prefetching();
}

InteractionBatcher::~InteractionBatcher() { stop_prefetching(); }

AssembledInteractions InteractionBatcher::assemble(std::int64_t batch, int /*worker*/) {
  const auto start = SteadyClock::now();
  const std::span<const std::int64_t> ids = batch_ids(batch);
  const auto n = static_cast<std::int64_t>(ids.size());
  const bool pinned = options_.device.is_cuda();
  const auto host = [&](at::ScalarType type) {
    return at::empty({n}, at::TensorOptions().dtype(type).pinned_memory(pinned));
  };
  AssembledInteractions out;
  out.batch = {host(at::kLong), host(at::kLong), host(at::kFloat)};
  auto* users = out.batch.users.data_ptr<std::int64_t>();
  auto* items = out.batch.items.data_ptr<std::int64_t>();
  auto* targets = out.batch.targets.data_ptr<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    const TrainingInstance x = instances_.instance(options_.epoch, ids[static_cast<std::size_t>(i)]);
    users[i] = x.user;
    items[i] = x.item;
    targets[i] = x.target;
    out.negatives += instances_.is_negative(ids[static_cast<std::size_t>(i)]) ? 1 : 0;
  }
  out.build_seconds = seconds_since(start);
  return out;
}

models::InteractionBatch InteractionBatcher::deliver(AssembledInteractions&& assembled,
                                                     InteractionLoaderStatistics& statistics) {
  models::InteractionBatch batch = std::move(assembled.batch);
  if (options_.device.is_cuda()) {
    batch.users = batch.users.to(options_.device, /*non_blocking=*/true);
    batch.items = batch.items.to(options_.device, /*non_blocking=*/true);
    batch.targets = batch.targets.to(options_.device, /*non_blocking=*/true);
  }
  statistics.batches += 1;
  statistics.samples += batch.size();
  statistics.negatives += assembled.negatives;
  statistics.build_seconds += assembled.build_seconds;
  return batch;
}

}  // namespace rsdist::loader
