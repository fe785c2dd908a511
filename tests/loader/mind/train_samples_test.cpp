// TrainSamples: samples equal the train shards read directly through rsdist::h5, only the shards
// holding the requested samples are loaded, history truncation keeps the most recent news, and
// missing or out-of-range samples are errors naming them.
#include "loader/mind/train_samples.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "core/error.hpp"
#include "data/hdf5/file.hpp"
#include "data/mind/mind_corpus.hpp"
#include "loader/mind/tiny_corpus.hpp"

namespace rsdist::loader {
namespace {

using testing::TinyCorpus;

template <class T>
std::vector<T> slice(const std::vector<T>& v, std::size_t begin, std::size_t end) {
  return std::vector<T>(v.begin() + begin, v.begin() + end);
}
std::vector<std::int32_t> to_vector(std::span<const std::int32_t> s) {
  return {s.begin(), s.end()};
}

// Shard k read with rsdist::h5, sample by sample.
struct RawShard {
  std::vector<std::int64_t> range;
  std::vector<std::int32_t> user, history, length, positive, negatives;
  std::vector<std::int64_t> offsets;
  RawShard(const std::filesystem::path& dir, std::int32_t k, std::int32_t shards) {
    const h5::File f = h5::File::open(dir / mind::train_shard_file_name(k, shards));
    range = f.read<std::int64_t>("sample_range");
    user = f.read<std::int32_t>("user");
    history = f.read<std::int32_t>("history");
    length = f.read<std::int32_t>("history_length");
    positive = f.read<std::int32_t>("positive");
    offsets = f.read<std::int64_t>("negative_offsets");
    negatives = f.read<std::int32_t>("negatives");
  }
};

TEST(TrainSamples, EverySampleEqualsItsShard) {
  const TinyCorpus corpus;
  const std::vector<std::int64_t> sizes = TrainSamples::read_shard_sizes(corpus.dir());
  ASSERT_EQ(sizes.size(), 3u);
  const std::vector<std::int32_t> all = {0, 1, 2};
  const TrainSamples samples = TrainSamples::load_shards(corpus.dir(), all);
  EXPECT_EQ(samples.shard_sizes(), sizes);
  EXPECT_EQ(samples.total_samples(), std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}));
  EXPECT_GT(samples.total_samples(), 400);  // several clicks per impression
  EXPECT_EQ(samples.max_history_num(), 12);
  EXPECT_EQ(samples.loaded_shards(), all);

  std::int64_t with_negatives = 0, padded = 0;
  for (std::int32_t k = 0; k < 3; ++k) {
    const RawShard raw(corpus.dir(), k, 3);
    for (std::int64_t id = raw.range[0]; id < raw.range[1]; ++id) {
      const auto r = static_cast<std::size_t>(id - raw.range[0]);
      const TrainSampleView s = samples.sample(id);
      ASSERT_EQ(s.user, raw.user[r]) << id;
      ASSERT_EQ(to_vector(s.history), slice(raw.history, r * 12, (r + 1) * 12)) << id;
      ASSERT_EQ(s.history_length, raw.length[r]) << id;
      ASSERT_EQ(s.positive, raw.positive[r]) << id;
      ASSERT_EQ(to_vector(s.negatives),
                slice(raw.negatives, static_cast<std::size_t>(raw.offsets[r]),
                      static_cast<std::size_t>(raw.offsets[r + 1])))
          << id;
      with_negatives += s.negatives.empty() ? 0 : 1;
      padded += s.history_length < 12 ? 1 : 0;
    }
  }
  EXPECT_GT(with_negatives, 0);
  EXPECT_GT(padded, 0);
  EXPECT_LT(padded, samples.total_samples());  // some histories are full: truncation is testable
}

TEST(TrainSamples, LoadsOnlyTheShardsHoldingTheRequestedSamples) {
  const TinyCorpus corpus;
  const std::vector<std::int64_t> sizes = TrainSamples::read_shard_sizes(corpus.dir());
  const std::int64_t shard1 = sizes[0];  // first sample of shard 1
  const std::vector<std::int64_t> ids = {shard1 + 3, shard1, shard1 + sizes[1] - 1};
  const TrainSamples samples = TrainSamples::load_for_samples(corpus.dir(), ids);
  EXPECT_EQ(samples.loaded_shards(), (std::vector<std::int32_t>{1}));
  EXPECT_TRUE(samples.contains(shard1));
  EXPECT_FALSE(samples.contains(shard1 - 1));
  EXPECT_EQ(samples.sample(shard1 + 3).positive, RawShard(corpus.dir(), 1, 3).positive[3]);
  try {
    samples.sample(0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("train sample 0 is in shard 0, which this process did not load"),
              std::string::npos)
        << e.message();
  }
  EXPECT_THROW(samples.sample(samples.total_samples()), Error);
  EXPECT_THROW(samples.sample(-1), Error);
  const std::vector<std::int64_t> out_of_range = {samples.total_samples()};
  EXPECT_THROW(TrainSamples::load_for_samples(corpus.dir(), out_of_range), Error);
  const std::vector<std::int32_t> no_such_shard = {3};
  EXPECT_THROW(TrainSamples::load_shards(corpus.dir(), no_such_shard), Error);
}

TEST(TrainSamples, ShorterHistoriesKeepTheMostRecentNews) {
  const TinyCorpus corpus;
  const std::vector<std::int32_t> all = {0, 1, 2};
  const TrainSamples full = TrainSamples::load_shards(corpus.dir(), all);
  const TrainSamples cut = TrainSamples::load_shards(corpus.dir(), all, {.max_history_num = 4});
  EXPECT_EQ(cut.max_history_num(), 4);
  std::int64_t truncated = 0;
  for (std::int64_t id = 0; id < full.total_samples(); ++id) {
    const TrainSampleView a = full.sample(id);
    const TrainSampleView b = cut.sample(id);
    const std::int32_t kept = std::min(a.history_length, 4);
    ASSERT_EQ(b.history_length, kept);
    ASSERT_EQ(b.history.size(), 4u);
    std::vector<std::int32_t> expected(a.history.begin() + (a.history_length - kept),
                                       a.history.begin() + a.history_length);
    expected.resize(4, 0);
    ASSERT_EQ(to_vector(b.history), expected) << id;
    EXPECT_EQ(b.positive, a.positive);
    truncated += a.history_length > 4 ? 1 : 0;
  }
  EXPECT_GT(truncated, 0);
  try {
    TrainSamples::load_shards(corpus.dir(), all, {.max_history_num = 13});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("max_history_num = 13"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace rsdist::loader
