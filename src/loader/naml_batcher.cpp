#include "loader/naml_batcher.hpp"

#include <algorithm>
#include <chrono>

#include "core/error.hpp"
#include "core/stopwatch.hpp"
#include "loader/batch_slice.hpp"

namespace rsdist::loader {

NamlBatcher::NamlBatcher(const TrainSamples& samples, const NewsTable& table,
                         std::vector<std::int64_t> order, const NamlBatcherOptions& options)
    : table_(table),
      order_(std::move(order)),
      options_(options),
      sampler_(options.negative_sample_num, options.seed, table.train_news()),
      assembler_(samples, sampler_, table.num_news(), options.dedup, options.device.is_cuda()) {
  RSDIST_CHECK(options.batch_size >= 1, "batch_size must be at least 1 (got {})",
               options.batch_size);
  RSDIST_CHECK(options.threads >= 0, "loader threads must not be negative (got {})",
               options.threads);
  RSDIST_CHECK(options.prefetch_batches >= 1,
               "the loader's prefetch depth must be at least 1 (got {})", options.prefetch_batches);
  RSDIST_CHECK(table.device() == options.device,
               "the news table is on {} but the loader delivers batches to {}; move the table with "
               "NewsTable::to first",
               table.device().str(), options.device.str());
  for (int w = 0; w < std::max(options.threads, 1); ++w) rows_.emplace_back(table.num_news());
  prefetcher_ = std::make_unique<OrderedPrefetcher<Assembled>>(
      num_batches(), options.threads, options.prefetch_batches,
      [this](std::int64_t batch, int worker) { return assemble(batch, worker); });
}

NamlBatcher::~NamlBatcher() = default;

std::int64_t NamlBatcher::num_batches() const {
  return batch_count(order_.size(), options_.batch_size);
}

NamlBatcher::Assembled NamlBatcher::assemble(std::int64_t batch, int worker) {
  const std::span<const std::int64_t> ids = batch_slice(order_, batch, options_.batch_size);
  Assembled out;
  try {
    out.host = assembler_.assemble(ids, options_.epoch, rows_[static_cast<std::size_t>(worker)]);
  } catch (Error& e) {
    e.add_context(
        fmt::format("assembling batch {} of {} (epoch {})", batch, num_batches(), options_.epoch));
    throw;
  }
  if (!options_.device.is_cuda()) out.news = table_.gather(out.host.news_ids);
  return out;
}

std::optional<models::ClickBatch> NamlBatcher::next() {
  const auto start = SteadyClock::now();
  std::optional<Assembled> assembled = prefetcher_->next();
  if (!assembled) {
    statistics_.wait_seconds += seconds_since(start);
    return std::nullopt;
  }
  HostBatch& host = assembled->host;
  models::ClickBatch batch;
  if (options_.device.is_cuda()) {
    // Page-locked sources: asynchronous copies on the current stream, ordered before the gather
    // and the model's kernels; the caching host allocator keeps the pages until the copies end.
    const auto on_device = at::TensorOptions().device(options_.device);
    batch.news_ids = host.news_ids.to(on_device, /*non_blocking=*/true);
    batch.history_index = host.history_index.to(on_device, /*non_blocking=*/true);
    batch.history_mask = host.history_mask.to(on_device, /*non_blocking=*/true);
    batch.candidate_index = host.candidate_index.to(on_device, /*non_blocking=*/true);
    batch.user = host.user.to(on_device, /*non_blocking=*/true);
    batch.news = table_.gather(batch.news_ids);
  } else {
    batch.news_ids = std::move(host.news_ids);
    batch.history_index = std::move(host.history_index);
    batch.history_mask = std::move(host.history_mask);
    batch.candidate_index = std::move(host.candidate_index);
    batch.user = std::move(host.user);
    batch.news = std::move(assembled->news);
  }
  statistics_.batches += 1;
  statistics_.samples += batch.user.size(0);
  statistics_.news_rows += batch.news_ids.size(0);
  statistics_.news_slots += host.news_slots;
  statistics_.wait_seconds += seconds_since(start);
  return batch;
}

}  // namespace rsdist::loader
