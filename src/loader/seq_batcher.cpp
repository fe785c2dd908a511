#include "loader/seq_batcher.hpp"

#include <algorithm>
#include <span>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/stopwatch.hpp"
#include "loader/batch_slice.hpp"

namespace rsdist::loader {
namespace {

SeqBatcherOptions resolved(SeqBatcherOptions options) {
  options.batch.pin_memory = options.device.is_cuda();
  return options;
}

}  // namespace

SeqBatcher::SeqBatcher(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
                       std::vector<std::int64_t> order, const SeqBatcherOptions& options)
    : corpus_(corpus), examples_(examples), order_(std::move(order)), options_(resolved(options)) {
  RSDIST_CHECK(options.batch_size >= 1, "batch_size must be at least 1 (got {})",
               options.batch_size);
  RSDIST_CHECK(options.threads >= 0, "loader threads must not be negative (got {})",
               options.threads);
  RSDIST_CHECK(options.prefetch_batches >= 1,
               "the loader's prefetch depth must be at least 1 (got {})", options.prefetch_batches);
  RSDIST_CHECK(options.first_batch >= 0, "the loader's first_batch must not be negative (got {})",
               options.first_batch);
  prefetcher_ = std::make_unique<OrderedPrefetcher<Built>>(
      num_batches(), options.threads, options.prefetch_batches,
      [this](std::int64_t batch, int /*worker*/) { return build(batch); });
}

SeqBatcher::~SeqBatcher() = default;

std::int64_t SeqBatcher::num_batches() const {
  return batch_count(order_.size(), options_.batch_size);
}

SeqBatcher::Built SeqBatcher::build(std::int64_t batch) const {
  const std::span<const std::int64_t> ids = batch_slice(order_, batch, options_.batch_size);
  Rng rng = Rng::stream(options_.seed, {static_cast<std::uint64_t>(options_.epoch),
                                        static_cast<std::uint64_t>(options_.first_batch + batch),
                                        static_cast<std::uint64_t>(options_.rank)});
  Built out;
  const auto start = SteadyClock::now();
  try {
    out.batch = build_seq_batch(corpus_, examples_, ids, options_.batch, rng, &out.sample_seconds);
  } catch (Error& e) {
    e.add_context(fmt::format("building batch {} of {} (epoch {}, epoch-wide batch {})", batch,
                              num_batches(), options_.epoch, options_.first_batch + batch));
    throw;
  }
  out.build_seconds = seconds_since(start);
  return out;
}

std::optional<models::SeqBatch> SeqBatcher::next() {
  const auto start = SteadyClock::now();
  std::optional<Built> built = prefetcher_->next();
  if (!built) {
    statistics_.wait_seconds += seconds_since(start);
    return std::nullopt;
  }
  // Page-locked sources on CUDA: asynchronous copies on the current stream, ordered before the
  // model's kernels; the caching host allocator keeps the pages until the copies end.
  models::SeqBatch batch = options_.device.is_cuda()
                               ? built->batch.to(options_.device, /*non_blocking=*/true)
                               : std::move(built->batch);
  statistics_.batches += 1;
  statistics_.samples += batch.size();
  for (const models::GraphView& view : batch.views) statistics_.edges += view.edge_index.size(1);
  statistics_.build_seconds += built->build_seconds;
  statistics_.sample_seconds += built->sample_seconds;
  statistics_.wait_seconds += seconds_since(start);
  return batch;
}

}  // namespace rsdist::loader
