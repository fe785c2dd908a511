// Which samples each rank trains on in an epoch.
//
// Every epoch is a permutation derived from (seed, epoch), split so that every rank gets exactly
// the same number of samples — padded by wrapping around (`kPad`, as PyTorch's DistributedSampler)
// or with the remainder dropped (`kDrop`) — so that uneven data never leaves one rank waiting in a
// collective another rank never joins. Two orders:
//  * kGlobal: rank r takes positions r, r+W, r+2W, ... of one global permutation, so the samples of
//    global step s are the same for any world size W at a fixed global batch (the property the
//    equivalence tests rely on).
//  * kShardLocal: shards are permuted, samples permuted within each shard, and rank r takes the
//    r-th contiguous slice of that sequence, then shuffles it; a rank thus reads mostly its own
//    HDF5 shards.
// Plain (rank, world) integers: no MPI needed to use or test it.
#pragma once

#include <cstdint>
#include <vector>

namespace rsdist::ddp {

enum class TailPolicy { kPad, kDrop };
enum class SampleOrder { kGlobal, kShardLocal };

struct SamplerOptions {
  std::uint64_t seed = 0;
  bool shuffle = true;
  TailPolicy tail = TailPolicy::kPad;
  SampleOrder order = SampleOrder::kGlobal;
};

class DistributedSampler {
 public:
  // `shard_sizes`: samples per shard, in shard order (sample ids are consecutive across shards).
  DistributedSampler(std::vector<std::int64_t> shard_sizes, int rank, int world_size,
                     SamplerOptions options);

  std::int64_t total_samples() const { return total_; }
  std::int64_t samples_per_rank() const { return per_rank_; }
  // Batches per rank and epoch; the same on every rank. A last partial batch counts unless
  // `drop_last_batch`.
  std::int64_t num_batches(std::int64_t batch_size, bool drop_last_batch) const;

  // This rank's sample ids for `epoch`, samples_per_rank() of them.
  std::vector<std::int64_t> epoch_indices(std::int64_t epoch) const;

  // The shard holding `sample` (for readers that open shards lazily).
  int shard_of(std::int64_t sample) const;

 private:
  std::vector<std::int64_t> global_order(std::int64_t epoch) const;
  std::vector<std::int64_t> shard_local_order(std::int64_t epoch) const;

  std::vector<std::int64_t> shard_offsets_;  // prefix sums, size shards + 1
  int rank_;
  int world_size_;
  SamplerOptions options_;
  std::int64_t total_ = 0;
  std::int64_t per_rank_ = 0;
};

}  // namespace rsdist::ddp
