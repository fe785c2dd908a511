#include "ddp/distributed_sampler.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::ddp {
namespace {

// Stream ids that keep the sampler's random streams apart from other users of the same seed.
constexpr std::uint64_t kSamplerStream = 0x5A3D1E;

}  // namespace

DistributedSampler::DistributedSampler(std::vector<std::int64_t> shard_sizes, int rank,
                                       int world_size, SamplerOptions options)
    : rank_(rank), world_size_(world_size), options_(options) {
  RSDIST_CHECK(world_size >= 1 && rank >= 0 && rank < world_size,
               "invalid rank {} for world size {}", rank, world_size);
  RSDIST_CHECK(!shard_sizes.empty(), "the sampler needs at least one shard");
  shard_offsets_.push_back(0);
  for (auto n : shard_sizes) {
    RSDIST_CHECK(n >= 0, "negative shard size {}", n);
    shard_offsets_.push_back(shard_offsets_.back() + n);
  }
  total_ = shard_offsets_.back();
  per_rank_ = options_.tail == TailPolicy::kPad ? (total_ + world_size - 1) / world_size
                                                 : total_ / world_size;
  RSDIST_CHECK(per_rank_ > 0, "{} samples cannot be split over {} ranks with the remainder dropped",
               total_, world_size);
}

std::int64_t DistributedSampler::num_batches(std::int64_t batch_size, bool drop_last_batch) const {
  RSDIST_CHECK(batch_size > 0, "batch size must be positive, got {}", batch_size);
  return drop_last_batch ? per_rank_ / batch_size : (per_rank_ + batch_size - 1) / batch_size;
}

int DistributedSampler::shard_of(std::int64_t sample) const {
  RSDIST_CHECK(sample >= 0 && sample < total_, "sample {} outside [0, {})", sample, total_);
  const auto it = std::upper_bound(shard_offsets_.begin(), shard_offsets_.end(), sample);
  return static_cast<int>(it - shard_offsets_.begin()) - 1;
}

std::vector<std::int64_t> DistributedSampler::global_order(std::int64_t epoch) const {
  std::vector<std::int64_t> order(static_cast<std::size_t>(total_));
  std::iota(order.begin(), order.end(), 0);
  if (options_.shuffle) {
    Rng rng = Rng::stream(options_.seed, {kSamplerStream, static_cast<std::uint64_t>(epoch)});
    rng.shuffle(order);
  }
  return order;
}

std::vector<std::int64_t> DistributedSampler::shard_local_order(std::int64_t epoch) const {
  const std::size_t shards = shard_offsets_.size() - 1;
  std::vector<std::size_t> shard_order(shards);
  std::iota(shard_order.begin(), shard_order.end(), 0);
  Rng rng = Rng::stream(options_.seed, {kSamplerStream, static_cast<std::uint64_t>(epoch), 1});
  if (options_.shuffle) rng.shuffle(shard_order);
  std::vector<std::int64_t> order;
  order.reserve(static_cast<std::size_t>(total_));
  for (std::size_t s : shard_order) {
    const auto begin = order.size();
    for (auto i = shard_offsets_[s]; i < shard_offsets_[s + 1]; ++i) order.push_back(i);
    if (options_.shuffle) {
      std::vector<std::int64_t> part(order.begin() + static_cast<std::ptrdiff_t>(begin), order.end());
      rng.shuffle(part);
      std::copy(part.begin(), part.end(), order.begin() + static_cast<std::ptrdiff_t>(begin));
    }
  }
  return order;
}

std::vector<std::int64_t> DistributedSampler::epoch_indices(std::int64_t epoch) const {
  RSDIST_CHECK(epoch >= 0, "negative epoch {}", epoch);
  const bool global = options_.order == SampleOrder::kGlobal;
  const std::vector<std::int64_t> order = global ? global_order(epoch) : shard_local_order(epoch);
  const auto at = [&](std::int64_t position) {  // wraps around for padding
    return order[static_cast<std::size_t>(position % total_)];
  };
  std::vector<std::int64_t> mine(static_cast<std::size_t>(per_rank_));
  for (std::int64_t k = 0; k < per_rank_; ++k) {
    mine[static_cast<std::size_t>(k)] = global ? at(k * world_size_ + rank_) : at(rank_ * per_rank_ + k);
  }
  if (!global && options_.shuffle) {
    Rng rng = Rng::stream(options_.seed, {kSamplerStream, static_cast<std::uint64_t>(epoch), 2,
                                          static_cast<std::uint64_t>(rank_)});
    rng.shuffle(mine);
  }
  return mine;
}

}  // namespace rsdist::ddp
