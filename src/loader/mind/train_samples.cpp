#include "loader/mind/train_samples.hpp"

#include <fmt/ranges.h>

#include <algorithm>

#include "core/error.hpp"
#include "data/hdf5/file.hpp"
#include "data/mind/mind_corpus.hpp"
#include "loader/mind/corpus_lengths.hpp"
#include "loader/mind/corpus_reading.hpp"

namespace rsdist::loader {

struct TrainSamples::Shard {
  std::int64_t begin = 0;  // global id of row 0
  std::vector<std::int32_t> user, history, history_length, positive, negatives;
  std::vector<std::int64_t> negative_offsets;  // rows + 1
};

std::unique_ptr<const TrainSamples::Shard> TrainSamples::read_shard(
    const std::filesystem::path& path, std::int64_t begin, std::int64_t rows,
    std::int32_t requested_history, std::int32_t& history_width) {
  const h5::File file = open_corpus_file(path, "mind_train_shard");
  const std::string& name = file.path();
  const auto range = file.read<std::int64_t>("sample_range");
  RSDIST_CHECK(range.size() == 2 && range[0] == begin && range[1] == begin + rows,
               "{}: sample_range does not match the manifest's shard sizes ([{}, {}) expected); "
               "the corpus directory mixes files of different runs",
               name, begin, begin + rows);

  auto shard = std::make_unique<Shard>();
  shard->begin = begin;
  shard->user = file.read<std::int32_t>("user");
  shard->history = file.read<std::int32_t>("history");
  shard->history_length = file.read<std::int32_t>("history_length");
  shard->positive = file.read<std::int32_t>("positive");
  shard->negative_offsets = file.read<std::int64_t>("negative_offsets");
  shard->negatives = file.read<std::int32_t>("negatives");

  const std::vector<std::uint64_t> shape = file.info("history").shape;
  RSDIST_CHECK(shape.size() == 2 && static_cast<std::int64_t>(shape[0]) == rows,
               "{}: history must be a [{}, max_history_num] array", name, rows);
  const auto corpus_width = static_cast<std::int32_t>(shape[1]);
  const std::int32_t width =
      resolve_length("max_history_num", requested_history, corpus_width, name);
  RSDIST_CHECK(history_width == 0 || history_width == width,
               "{}: histories of width {}, other shards have {}", name, corpus_width,
               history_width);
  history_width = width;

  const auto n = static_cast<std::size_t>(rows);
  RSDIST_CHECK(shard->user.size() == n && shard->history_length.size() == n &&
                   shard->positive.size() == n && shard->negative_offsets.size() == n + 1,
               "{}: user, history_length, positive and negative_offsets must have {} (+1) rows",
               name, rows);
  const auto& offsets = shard->negative_offsets;
  RSDIST_CHECK(offsets.front() == 0 &&
                   offsets.back() == static_cast<std::int64_t>(shard->negatives.size()) &&
                   std::is_sorted(offsets.begin(), offsets.end()),
               "{}: negative_offsets is not a CSR index over {} negatives", name,
               shard->negatives.size());
  truncate_histories(shard->history, shard->history_length, corpus_width, width);
  return shard;
}

TrainSamples::TrainSamples(TrainSamples&&) noexcept = default;
TrainSamples& TrainSamples::operator=(TrainSamples&&) noexcept = default;
TrainSamples::~TrainSamples() = default;

std::vector<std::int64_t> TrainSamples::read_shard_sizes(const std::filesystem::path& corpus_dir) {
  return read_mind_counts(corpus_dir).train_shard_samples;
}

TrainSamples TrainSamples::load_for_samples(const std::filesystem::path& corpus_dir,
                                            std::span<const std::int64_t> sample_ids,
                                            const TrainSamplesOptions& options) {
  const std::vector<std::int64_t> sizes = read_shard_sizes(corpus_dir);
  std::vector<std::int64_t> offsets{0};
  for (std::int64_t n : sizes) offsets.push_back(offsets.back() + n);
  std::vector<bool> wanted(sizes.size(), false);
  for (std::int64_t id : sample_ids) {
    RSDIST_CHECK(id >= 0 && id < offsets.back(),
                 "train sample {} is outside the corpus's {} samples ({})", id, offsets.back(),
                 corpus_dir.string());
    const auto shard = std::upper_bound(offsets.begin(), offsets.end(), id) - offsets.begin() - 1;
    wanted[static_cast<std::size_t>(shard)] = true;
  }
  return load(corpus_dir, std::move(wanted), options);
}

TrainSamples TrainSamples::load_shards(const std::filesystem::path& corpus_dir,
                                       std::span<const std::int32_t> shards,
                                       const TrainSamplesOptions& options) {
  const std::size_t count = read_shard_sizes(corpus_dir).size();
  std::vector<bool> wanted(count, false);
  for (std::int32_t k : shards) {
    RSDIST_CHECK(k >= 0 && static_cast<std::size_t>(k) < count,
                 "train shard {} does not exist: {} has {} shards", k, corpus_dir.string(), count);
    wanted[static_cast<std::size_t>(k)] = true;
  }
  return load(corpus_dir, std::move(wanted), options);
}

TrainSamples TrainSamples::load(const std::filesystem::path& corpus_dir, std::vector<bool> wanted,
                                const TrainSamplesOptions& options) {
  TrainSamples samples;
  samples.shard_sizes_ = read_shard_sizes(corpus_dir);
  for (std::int64_t n : samples.shard_sizes_) {
    samples.shard_offsets_.push_back(samples.shard_offsets_.back() + n);
  }
  const auto shards = static_cast<std::int32_t>(samples.shard_sizes_.size());
  samples.shards_.resize(samples.shard_sizes_.size());
  for (std::int32_t k = 0; k < shards; ++k) {
    if (!wanted[static_cast<std::size_t>(k)]) continue;
    samples.shards_[static_cast<std::size_t>(k)] =
        read_shard(corpus_dir / mind::train_shard_file_name(k, shards), samples.shard_offsets_[k],
                   samples.shard_sizes_[static_cast<std::size_t>(k)], options.max_history_num,
                   samples.max_history_num_);
  }
  if (samples.max_history_num_ == 0) {
    // No shard loaded (an empty sample list): the width is still the one asked for.
    samples.max_history_num_ = options.max_history_num;
  }
  return samples;
}

std::vector<std::int32_t> TrainSamples::loaded_shards() const {
  std::vector<std::int32_t> loaded;
  for (std::size_t k = 0; k < shards_.size(); ++k) {
    if (shards_[k]) loaded.push_back(static_cast<std::int32_t>(k));
  }
  return loaded;
}

std::int32_t TrainSamples::shard_of(std::int64_t sample_id) const {
  RSDIST_CHECK(sample_id >= 0 && sample_id < total_samples(),
               "train sample {} is outside the corpus's {} samples", sample_id, total_samples());
  const auto it = std::upper_bound(shard_offsets_.begin(), shard_offsets_.end(), sample_id);
  return static_cast<std::int32_t>(it - shard_offsets_.begin()) - 1;
}

bool TrainSamples::contains(std::int64_t sample_id) const {
  return sample_id >= 0 && sample_id < total_samples() &&
         shards_[static_cast<std::size_t>(shard_of(sample_id))] != nullptr;
}

TrainSampleView TrainSamples::sample(std::int64_t sample_id) const {
  const std::int32_t k = shard_of(sample_id);
  const Shard* shard = shards_[static_cast<std::size_t>(k)].get();
  RSDIST_CHECK(shard != nullptr,
               "train sample {} is in shard {}, which this process did not load (loaded: {})",
               sample_id, k, fmt::join(loaded_shards(), ", "));
  const auto row = static_cast<std::size_t>(sample_id - shard->begin);
  const auto width = static_cast<std::size_t>(max_history_num_);
  TrainSampleView view;
  view.user = shard->user[row];
  view.history = std::span<const std::int32_t>(shard->history).subspan(row * width, width);
  view.history_length = shard->history_length[row];
  view.positive = shard->positive[row];
  const auto begin = static_cast<std::size_t>(shard->negative_offsets[row]);
  const auto end = static_cast<std::size_t>(shard->negative_offsets[row + 1]);
  view.negatives = std::span<const std::int32_t>(shard->negatives).subspan(begin, end - begin);
  return view;
}

}  // namespace rsdist::loader
