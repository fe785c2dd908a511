#include "loader/seq/seq_batcher.hpp"

#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/stopwatch.hpp"

namespace rsdist::loader {
namespace {

SeqBatcherOptions resolved(SeqBatcherOptions options) {
  options.batch.pin_memory = options.device.is_cuda();
  return options;
}

}  // namespace

SeqBatcher::SeqBatcher(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
                       std::vector<std::int64_t> order, const SeqBatcherOptions& options)
    : PrefetchingBatcher(std::move(order), options.batch_size, options.threads,
                         options.prefetch_batches),
      corpus_(corpus),
      examples_(examples),
      options_(resolved(options)) {
  RSDIST_CHECK(options.first_batch >= 0, "the loader's first_batch must not be negative (got {})",
               options.first_batch);
  start_prefetching();
}

SeqBatcher::~SeqBatcher() { stop_prefetching(); }

BuiltSeqBatch SeqBatcher::assemble(std::int64_t batch, int /*worker*/) {
  Rng rng = Rng::stream(options_.seed, {static_cast<std::uint64_t>(options_.epoch),
                                        static_cast<std::uint64_t>(options_.first_batch + batch),
                                        static_cast<std::uint64_t>(options_.rank)});
  BuiltSeqBatch out;
  const auto start = SteadyClock::now();
  try {
    out.batch = build_seq_batch(corpus_, examples_, batch_ids(batch), options_.batch, rng,
                                &out.sample_seconds);
  } catch (Error& e) {
    e.add_context(fmt::format("building batch {} of {} (epoch {}, epoch-wide batch {})", batch,
                              num_batches(), options_.epoch, options_.first_batch + batch));
    throw;
  }
  out.build_seconds = seconds_since(start);
  return out;
}

models::SeqBatch SeqBatcher::deliver(BuiltSeqBatch&& built, SeqLoaderStatistics& statistics) {
  // Page-locked sources on CUDA: asynchronous copies on the current stream, ordered before the
  // model's kernels; the caching host allocator keeps the pages until the copies end.
  models::SeqBatch batch = options_.device.is_cuda()
                               ? built.batch.to(options_.device, /*non_blocking=*/true)
                               : std::move(built.batch);
  statistics.batches += 1;
  statistics.samples += batch.size();
  for (const models::GraphView& view : batch.views) statistics.edges += view.edge_index.size(1);
  statistics.build_seconds += built.build_seconds;
  statistics.sample_seconds += built.sample_seconds;
  return batch;
}

}  // namespace rsdist::loader
