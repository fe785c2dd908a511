// What every batcher shares: one rank's sample order for one epoch cut into batches (batch j holds
// order[j*B, (j+1)*B), the last one may be partial), assembled on the host by background threads
// (OrderedPrefetcher) and handed out in order by next(), which times the consumer's wait ("loader
// wait") and returns nullopt after the last batch.
//
// A batcher derives from it and says how to assemble batch j on the host (`assemble`, called on
// the workers, concurrently for different workers) and how an assembled item becomes the model's
// batch on its device and what it adds to the statistics (`deliver`, called by next() on the
// consumer's thread: pinned non-blocking copies on CUDA, the host batch as it is on the CPU).
// A failure in `assemble` is rethrown by next() in that batch's turn.
//
// Note [Stop before the members go]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// The workers call the derived class's `assemble`, which reads the derived class's members; this
// base's destructor runs after those members are gone. So a derived class calls
// start_prefetching() as the last statement of its constructor (its members are ready) and
// stop_prefetching() in its destructor (a worker in `assemble` finishes that item and leaves, so
// destruction mid-epoch costs at most one item's time).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "core/stopwatch.hpp"
#include "loader/batch_slice.hpp"
#include "loader/ordered_prefetcher.hpp"

namespace rsdist::loader {

// Statistics: what the loader did over the batches delivered so far, with a `double wait_seconds`
// this base fills (the consumer's time inside next()).
template <class Assembled, class Batch, class Statistics>
class PrefetchingBatcher {
 public:
  PrefetchingBatcher(const PrefetchingBatcher&) = delete;
  PrefetchingBatcher& operator=(const PrefetchingBatcher&) = delete;

  // The next batch, on the batcher's device; nullopt after the last. Call from one thread.
  std::optional<Batch> next() {
    const auto start = SteadyClock::now();
    std::optional<Assembled> assembled = prefetcher_->next();
    std::optional<Batch> batch;
    if (assembled) batch.emplace(deliver(std::move(*assembled), statistics_));
    statistics_.wait_seconds += seconds_since(start);
    return batch;
  }

  std::int64_t num_batches() const { return batch_count(order_.size(), batch_size_); }

  // Over the batches next() has delivered (read it from the thread that calls next()).
  const Statistics& statistics() const { return statistics_; }

 protected:
  // `threads` background assemblers (0 assembles inside next()), at most `prefetch_batches`
  // batches assembled ahead of the consumer.
  PrefetchingBatcher(std::vector<std::int64_t> order, std::int64_t batch_size, std::int32_t threads,
                     std::int32_t prefetch_batches)
      : order_(std::move(order)),
        batch_size_(batch_size),
        threads_(threads),
        prefetch_batches_(prefetch_batches) {
    RSDIST_CHECK(batch_size >= 1, "batch_size must be at least 1 (got {})", batch_size);
    RSDIST_CHECK(threads >= 0, "loader threads must not be negative (got {})", threads);
    RSDIST_CHECK(prefetch_batches >= 1, "the loader's prefetch depth must be at least 1 (got {})",
                 prefetch_batches);
  }
  virtual ~PrefetchingBatcher() { stop_prefetching(); }

  // Note [Stop before the members go].
  void start_prefetching() {
    prefetcher_ = std::make_unique<OrderedPrefetcher<Assembled>>(
        num_batches(), threads_, prefetch_batches_,
        [this](std::int64_t batch, int worker) { return assemble(batch, worker); });
  }
  void stop_prefetching() { prefetcher_.reset(); }

  // The sample ids of batch `batch`.
  std::span<const std::int64_t> batch_ids(std::int64_t batch) const {
    return batch_slice(order_, batch, batch_size_);
  }

 private:
  // Batch `batch` on the host; `worker` is in [0, max(threads, 1)) and never runs two batches at
  // once, so it can select per-worker scratch memory.
  virtual Assembled assemble(std::int64_t batch, int worker) = 0;
  // The assembled batch on the device, after adding what it holds to `statistics`.
  virtual Batch deliver(Assembled&& assembled, Statistics& statistics) = 0;

  const std::vector<std::int64_t> order_;
  const std::int64_t batch_size_;
  const std::int32_t threads_;
  const std::int32_t prefetch_batches_;
  Statistics statistics_;
  std::unique_ptr<OrderedPrefetcher<Assembled>> prefetcher_;
};

}  // namespace rsdist::loader
