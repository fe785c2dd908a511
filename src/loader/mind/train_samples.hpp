// Train samples of a MIND corpus, read from its train shards (train-KKKKK-of-NNNNN.h5, contiguous
// ranges of the global sample order; docs/corpus_mind.md).
//
// A rank loads only the shards that hold the samples it will train on (with the sampler's
// kShardLocal order, mostly its own), up front on the constructing thread: HDF5 is not thread-safe
// here, and afterwards the samples are immutable memory that loader threads read concurrently.
// Sample ids are global (0 .. total_samples()-1), as DistributedSampler hands them out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

namespace rsdist::loader {

struct TrainSamplesOptions {
  // Histories cut to their last `max_history_num` news (0: the corpus's width); more than the
  // corpus holds is an error naming the option.
  std::int32_t max_history_num = 0;
};

// One sample: a click of a train impression with its context.
struct TrainSampleView {
  std::int32_t user = 0;
  std::span<const std::int32_t> history;  // [max_history_num], oldest first, 0 after the real news
  std::int32_t history_length = 0;        // real news in `history`
  std::int32_t positive = 0;              // the clicked news
  std::span<const std::int32_t> negatives;  // the impression's non-clicked news (may be empty)
};

class TrainSamples {
 public:
  // Samples per shard from DIR/manifest.json, without opening a shard (for DistributedSampler).
  static std::vector<std::int64_t> read_shard_sizes(const std::filesystem::path& corpus_dir);

  // Loads the shards holding any of `sample_ids` (global ids; each must be in range). Pass the ids
  // of every epoch the process will run: DistributedSampler's kShardLocal order permutes the shards
  // anew each epoch, so one epoch's ids do not name the next epoch's shards.
  static TrainSamples load_for_samples(const std::filesystem::path& corpus_dir,
                                       std::span<const std::int64_t> sample_ids,
                                       const TrainSamplesOptions& options = {});
  // Loads the listed shards (indices into the manifest's shard list).
  static TrainSamples load_shards(const std::filesystem::path& corpus_dir,
                                  std::span<const std::int32_t> shards,
                                  const TrainSamplesOptions& options = {});

  TrainSamples(TrainSamples&&) noexcept;
  TrainSamples& operator=(TrainSamples&&) noexcept;
  ~TrainSamples();

  const std::vector<std::int64_t>& shard_sizes() const { return shard_sizes_; }
  std::int64_t total_samples() const { return shard_offsets_.back(); }
  std::int32_t max_history_num() const { return max_history_num_; }
  std::vector<std::int32_t> loaded_shards() const;

  bool contains(std::int64_t sample_id) const;
  // Throws naming the sample when it is out of range or its shard was not loaded. The view points
  // into this object.
  TrainSampleView sample(std::int64_t sample_id) const;

 private:
  struct Shard;
  TrainSamples() = default;
  static TrainSamples load(const std::filesystem::path& corpus_dir, std::vector<bool> wanted,
                           const TrainSamplesOptions& options);
  static std::unique_ptr<const Shard> read_shard(const std::filesystem::path& path,
                                                 std::int64_t begin, std::int64_t rows,
                                                 std::int32_t requested_history,
                                                 std::int32_t& history_width);
  std::int32_t shard_of(std::int64_t sample_id) const;

  std::vector<std::int64_t> shard_sizes_;
  std::vector<std::int64_t> shard_offsets_{0};  // prefix sums, shards + 1
  std::int32_t max_history_num_ = 0;
  std::vector<std::unique_ptr<const Shard>> shards_;  // null where not loaded
};

}  // namespace rsdist::loader
