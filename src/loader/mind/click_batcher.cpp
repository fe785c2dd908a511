#include "loader/mind/click_batcher.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace rsdist::loader {

ClickBatcher::ClickBatcher(const TrainSamples& samples, const NewsTable& table,
                           std::vector<std::int64_t> order, const ClickBatcherOptions& options)
    : PrefetchingBatcher(std::move(order), options.batch_size, options.threads,
                         options.prefetch_batches),
      table_(table),
      options_(options),
      sampler_(options.negative_sample_num, options.seed, table.train_news()),
      assembler_(samples, sampler_, table.num_news(), options.dedup, options.device.is_cuda()) {
  RSDIST_CHECK(table.device() == options.device,
               "the news table is on {} but the loader delivers batches to {}; move the table with "
               "NewsTable::to first",
               table.device().str(), options.device.str());
  for (int w = 0; w < std::max(options.threads, 1); ++w) rows_.emplace_back(table.num_news());
  start_prefetching();
}

ClickBatcher::~ClickBatcher() { stop_prefetching(); }

AssembledClickBatch ClickBatcher::assemble(std::int64_t batch, int worker) {
  AssembledClickBatch out;
  try {
    out.host = assembler_.assemble(batch_ids(batch), options_.epoch,
                                   rows_[static_cast<std::size_t>(worker)]);
  } catch (Error& e) {
    e.add_context(
        fmt::format("assembling batch {} of {} (epoch {})", batch, num_batches(), options_.epoch));
    throw;
  }
  if (!options_.device.is_cuda()) out.news = table_.gather(out.host.news_ids);
  return out;
}

models::ClickBatch ClickBatcher::deliver(AssembledClickBatch&& assembled,
                                         LoaderStatistics& statistics) {
  HostBatch& host = assembled.host;
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
    batch.news = std::move(assembled.news);
  }
  statistics.batches += 1;
  statistics.samples += batch.user.size(0);
  statistics.news_rows += batch.news_ids.size(0);
  statistics.news_slots += host.news_slots;
  return batch;
}

}  // namespace rsdist::loader
