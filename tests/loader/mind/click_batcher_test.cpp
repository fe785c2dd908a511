// ClickBatcher on a tiny corpus: every sample of the order once and in order, batches that describe
// the samples (histories, masks, click first, negatives from the impression), de-duplicated and
// plain batches naming the same news per slot, the same batches for any thread count, negatives
// independent of the world size, a worker's failure rethrown in its batch's turn, and prompt
// destruction mid-epoch.
#include "loader/mind/click_batcher.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>
#include <set>

#include "core/error.hpp"
#include "ddp/distributed_sampler.hpp"
#include "loader/mind/tiny_corpus.hpp"

namespace rsdist::loader {
namespace {

using testing::TinyCorpus;

constexpr std::int32_t kNegatives = 4;

std::vector<std::int64_t> values(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

// [B, W] news per slot: news_ids[index].
at::Tensor slot_news(const models::ClickBatch& b, const at::Tensor& index) {
  return b.news_ids.index_select(0, index.flatten()).view(index.sizes());
}

struct Loaded {
  TinyCorpus corpus;
  TrainSamples samples;
  NewsTable table;
  Loaded()
      : samples(TrainSamples::load_shards(corpus.dir(), std::vector<std::int32_t>{0, 1, 2})),
        table(NewsTable::load(corpus.dir())) {}
  std::vector<std::int64_t> order(std::int64_t epoch, int rank = 0, int world = 1) const {
    ddp::DistributedSampler sampler(samples.shard_sizes(), rank, world, {.seed = 9});
    return sampler.epoch_indices(epoch);
  }
};

ClickBatcherOptions options(std::int64_t batch_size, std::int32_t threads, bool dedup = true) {
  ClickBatcherOptions o;
  o.batch_size = batch_size;
  o.negative_sample_num = kNegatives;
  o.dedup = dedup;
  o.seed = 3;
  o.epoch = 1;
  o.threads = threads;
  o.prefetch_batches = 3;
  return o;
}

std::vector<models::ClickBatch> all_batches(ClickBatcher& batcher) {
  std::vector<models::ClickBatch> batches;
  while (auto b = batcher.next()) batches.push_back(std::move(*b));
  return batches;
}

TEST(ClickBatcher, DeliversEverySampleOfTheOrderOnceInOrder) {
  const Loaded data;
  const std::vector<std::int64_t> order = data.order(0);
  const auto total = static_cast<std::int64_t>(order.size());
  const std::int64_t batch = total % 16 != 0 ? 16 : 15;  // a partial last batch
  ClickBatcher batcher(data.samples, data.table, order, options(batch, 2));
  EXPECT_EQ(batcher.num_batches(), (total + batch - 1) / batch);

  const std::int64_t width = data.samples.max_history_num();
  std::int64_t position = 0, padded_slots = 0;
  for (const models::ClickBatch& b : all_batches(batcher)) {
    const std::int64_t rows = b.user.size(0);
    EXPECT_EQ(rows, std::min<std::int64_t>(batch, total - position));
    ASSERT_EQ(b.history_index.sizes(), (at::IntArrayRef{rows, width}));
    ASSERT_EQ(b.candidate_index.sizes(), (at::IntArrayRef{rows, 1 + kNegatives}));
    EXPECT_EQ(b.history_mask.scalar_type(), at::kFloat);
    const auto history = values(slot_news(b, b.history_index));
    const auto candidates = values(slot_news(b, b.candidate_index));
    const auto mask = values(b.history_mask);
    const auto user = values(b.user);
    for (std::int64_t r = 0; r < rows; ++r, ++position) {
      const std::int64_t id = order[static_cast<std::size_t>(position)];
      const TrainSampleView s = data.samples.sample(id);
      ASSERT_EQ(user[r], s.user) << id;
      for (std::int64_t slot = 0; slot < width; ++slot) {
        ASSERT_EQ(history[r * width + slot], s.history[slot]) << id;
        ASSERT_EQ(mask[r * width + slot], slot < s.history_length ? 1 : 0) << id;
        padded_slots += slot >= s.history_length;
      }
      const std::int64_t* c = candidates.data() + r * (1 + kNegatives);
      ASSERT_EQ(c[0], s.positive) << id;
      for (int k = 1; k <= kNegatives; ++k) {
        ASSERT_NE(c[k], s.positive) << id;
        if (!s.negatives.empty()) {
          ASSERT_TRUE(std::find(s.negatives.begin(), s.negatives.end(), c[k]) != s.negatives.end());
        }
      }
    }
    // The news features are the table's rows of news_ids.
    const models::NewsInputs expected = data.table.gather(b.news_ids);
    EXPECT_TRUE(b.news.title.equal(expected.title));
    EXPECT_TRUE(b.news.abstract_mask.equal(expected.abstract_mask));
    EXPECT_TRUE(b.news.subcategory.equal(expected.subcategory));
  }
  EXPECT_EQ(position, total);
  EXPECT_GT(padded_slots, 0);

  const LoaderStatistics& stats = batcher.statistics();
  EXPECT_EQ(stats.batches, batcher.num_batches());
  EXPECT_EQ(stats.samples, total);
  EXPECT_EQ(stats.news_slots, total * (width + 1 + kNegatives));
  EXPECT_LT(stats.news_rows, stats.news_slots);
  EXPECT_GT(stats.news_rows, stats.batches);
  EXPECT_GE(stats.wait_seconds, 0.0);
  EXPECT_FALSE(batcher.next().has_value());
}

TEST(ClickBatcher, DedupAndPlainBatchesNameTheSameNewsInEverySlot) {
  const Loaded data;
  const std::vector<std::int64_t> order = data.order(2);
  ClickBatcher dedup(data.samples, data.table, order, options(32, 1, true));
  ClickBatcher plain(data.samples, data.table, order, options(32, 1, false));
  const auto a = all_batches(dedup);
  const auto b = all_batches(plain);
  ASSERT_EQ(a.size(), b.size());
  const std::int64_t width = data.samples.max_history_num();
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(slot_news(a[i], a[i].history_index).equal(slot_news(b[i], b[i].history_index)));
    EXPECT_TRUE(slot_news(a[i], a[i].candidate_index).equal(slot_news(b[i], b[i].candidate_index)));
    EXPECT_TRUE(a[i].history_mask.equal(b[i].history_mask));
    EXPECT_TRUE(a[i].user.equal(b[i].user));

    // De-duplicated: each news once, <PAD> among them when some history is padded.
    const auto ids = values(a[i].news_ids);
    EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), ids.size());
    const bool padded = (a[i].history_mask == 0).any().item<bool>();
    EXPECT_EQ(std::count(ids.begin(), ids.end(), 0), padded ? 1 : 0);
    EXPECT_LT(a[i].news_ids.size(0), b[i].news_ids.size(0));
    // Plain: one row per slot, the indices an arange over histories then candidates.
    const std::int64_t rows = b[i].user.size(0);
    EXPECT_EQ(b[i].news_ids.size(0), rows * (width + 1 + kNegatives));
    EXPECT_TRUE(b[i].history_index.flatten().equal(at::arange(rows * width, at::kLong)));
    EXPECT_TRUE(b[i].candidate_index.flatten().equal(
        at::arange(rows * width, rows * (width + 1 + kNegatives), at::kLong)));
  }
  EXPECT_LT(dedup.statistics().dedup_ratio(), 0.8);
  EXPECT_DOUBLE_EQ(plain.statistics().dedup_ratio(), 1.0);
  EXPECT_EQ(dedup.statistics().news_slots, plain.statistics().news_slots);
  EXPECT_LT(dedup.statistics().mean_news_rows(), plain.statistics().mean_news_rows());
}

void expect_same_batches(const std::vector<models::ClickBatch>& a,
                         const std::vector<models::ClickBatch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i].news_ids.equal(b[i].news_ids)) << i;
    EXPECT_TRUE(a[i].history_index.equal(b[i].history_index)) << i;
    EXPECT_TRUE(a[i].history_mask.equal(b[i].history_mask)) << i;
    EXPECT_TRUE(a[i].candidate_index.equal(b[i].candidate_index)) << i;
    EXPECT_TRUE(a[i].user.equal(b[i].user)) << i;
    EXPECT_TRUE(a[i].news.title.equal(b[i].news.title)) << i;
  }
}

TEST(ClickBatcher, SameBatchesInOrderWhateverTheNumberOfThreads) {
  const Loaded data;
  const std::vector<std::int64_t> order = data.order(0);
  ClickBatcher synchronous(data.samples, data.table, order, options(8, 0));
  ClickBatcher threaded(data.samples, data.table, order, options(8, 3));
  const auto a = all_batches(synchronous);
  EXPECT_GT(a.size(), 50u);
  expect_same_batches(a, all_batches(threaded));
}

TEST(ClickBatcher, NegativesDependOnTheSampleNotOnTheWorldSizeOrBatch) {
  const Loaded data;
  // sample id -> its candidate news, from one rank with batches of 16.
  std::map<std::int64_t, std::vector<std::int64_t>> single;
  {
    const auto order = data.order(1);
    ClickBatcher batcher(data.samples, data.table, order, options(16, 2));
    std::size_t position = 0;
    for (const auto& b : all_batches(batcher)) {
      const auto c = values(slot_news(b, b.candidate_index));
      for (std::int64_t r = 0; r < b.user.size(0); ++r, ++position) {
        single[order[position]] = {c.begin() + r * (1 + kNegatives),
                                   c.begin() + (r + 1) * (1 + kNegatives)};
      }
    }
  }
  ASSERT_EQ(static_cast<std::int64_t>(single.size()), data.samples.total_samples());
  std::int64_t compared = 0;
  for (int rank = 0; rank < 2; ++rank) {
    const auto order = data.order(1, rank, 2);
    ClickBatcher batcher(data.samples, data.table, order, options(5, 1));
    std::size_t position = 0;
    for (const auto& b : all_batches(batcher)) {
      const auto c = values(slot_news(b, b.candidate_index));
      for (std::int64_t r = 0; r < b.user.size(0); ++r, ++position) {
        const std::vector<std::int64_t> row(c.begin() + r * (1 + kNegatives),
                                            c.begin() + (r + 1) * (1 + kNegatives));
        ASSERT_EQ(row, single.at(order[position])) << order[position];
        ++compared;
      }
    }
  }
  EXPECT_GE(compared, data.samples.total_samples());
}

TEST(ClickBatcher, NegativesChangeFromEpochToEpoch) {
  const Loaded data;
  std::vector<std::int64_t> order(static_cast<std::size_t>(data.samples.total_samples()));
  std::iota(order.begin(), order.end(), 0);
  ClickBatcherOptions first = options(64, 1, false);
  ClickBatcherOptions second = first;
  second.epoch = first.epoch + 1;
  ClickBatcher a(data.samples, data.table, order, first);
  ClickBatcher b(data.samples, data.table, order, second);
  std::int64_t differing = 0, random_rows = 0;
  for (auto x = a.next(), y = b.next(); x && y; x = a.next(), y = b.next()) {
    const at::Tensor cx = slot_news(*x, x->candidate_index);
    const at::Tensor cy = slot_news(*y, y->candidate_index);
    EXPECT_TRUE(cx.select(1, 0).equal(cy.select(1, 0)));  // the same clicks
    differing += (cx != cy).any(1).sum().item<std::int64_t>();
  }
  for (std::int64_t id = 0; id < data.samples.total_samples(); ++id) {
    random_rows += data.samples.sample(id).negatives.size() > kNegatives;
  }
  ASSERT_GT(random_rows, 20);
  // Samples with more than K non-clicks draw anew; P(same 4 of n >= 5 in the same order) < 1/120.
  EXPECT_GT(differing, random_rows * 8 / 10);
}

TEST(ClickBatcher, AWorkersFailureIsRethrownInItsBatchsTurn) {
  const Loaded data;
  std::vector<std::int64_t> order(48);
  std::iota(order.begin(), order.end(), 0);
  order[40] = data.samples.total_samples() + 3;  // batch 2 of 16
  ClickBatcher batcher(data.samples, data.table, order, options(16, 2));
  ASSERT_TRUE(batcher.next().has_value());
  ASSERT_TRUE(batcher.next().has_value());
  try {
    batcher.next();
    FAIL() << "expected the worker's error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(fmt::format("train sample {} is outside", order[40])), std::string::npos)
        << what;
    EXPECT_NE(what.find("while assembling batch 2 of 3"), std::string::npos) << what;
    EXPECT_EQ(what.find("while while"), std::string::npos) << what;
  }
  EXPECT_THROW(batcher.next(), Error);
  EXPECT_EQ(batcher.statistics().batches, 2);
}

TEST(ClickBatcher, DestructionMidEpochReturnsPromptly) {
  const Loaded data;
  // A long epoch of one-sample batches: assembling it all would take many seconds.
  std::vector<std::int64_t> order(1'000'000);
  for (std::size_t i = 0; i < order.size(); ++i) {
    order[i] = static_cast<std::int64_t>(i) % data.samples.total_samples();
  }
  auto batcher =
      std::make_unique<ClickBatcher>(data.samples, data.table, std::move(order), options(1, 2));
  ASSERT_TRUE(batcher->next().has_value());
  const auto start = std::chrono::steady_clock::now();
  batcher.reset();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 2.0);
}

TEST(ClickBatcher, EmptyOrdersAndBadOptions) {
  const Loaded data;
  ClickBatcher empty(data.samples, data.table, {}, options(8, 2));
  EXPECT_EQ(empty.num_batches(), 0);
  EXPECT_FALSE(empty.next().has_value());
  EXPECT_THROW(ClickBatcher(data.samples, data.table, {0}, options(0, 1)), Error);
  ClickBatcherOptions no_negatives = options(8, 1);
  no_negatives.negative_sample_num = 0;
  EXPECT_THROW(ClickBatcher(data.samples, data.table, {0}, no_negatives), Error);
  ClickBatcherOptions no_room = options(8, 1);
  no_room.prefetch_batches = 0;
  EXPECT_THROW(ClickBatcher(data.samples, data.table, {0}, no_room), Error);
}

}  // namespace
}  // namespace rsdist::loader
