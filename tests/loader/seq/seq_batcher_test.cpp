// build_seq_batch and SeqBatcher on a tiny hand-built sequence corpus: users/inputs/targets are the
// examples' windows left-padded to L; each view is one sampled hop around the batch's positions
// (edges into positions only, from graph neighbours, with the graph's weights, at most sample_size
// distinct neighbours per position, none for padding); the two views differ while each is a pure
// function of the rng; SeqBatcher delivers exactly build_seq_batch on the stream (seed, {epoch, j,
// rank}) for any thread count and after a resume; partial last batch, statistics, and errors.
#include "loader/seq/seq_batcher.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/seq/sequence_splits.hpp"
#include "loader/seq/seq_batch_builder.hpp"

namespace rsdist::loader {
namespace {

constexpr std::int64_t kWindow = 4;  // L: shorter than the longest prefixes
constexpr int kSampleSize = 3;       // below most degrees of the dense graph

// 12 users over items 1..12, lengths 3..11: every long prefix exceeds kWindow and most items have
// more than kSampleSize neighbours in the WITG.
seq::SeqCorpus tiny_corpus() {
  seq::SequenceCorpus sequences;
  Rng rng(17);
  for (std::int64_t user = 0; user < 12; ++user) {
    std::vector<std::int32_t> items(static_cast<std::size_t>(3 + user % 9));
    for (auto& item : items) item = static_cast<std::int32_t>(1 + rng.uniform_below(12));
    sequences.append(100 + user, items);
  }
  return seq::build_seq_corpus(std::move(sequences), seq::WitgNormalization::kNone);
}

std::vector<std::int64_t> values(const at::Tensor& t) {
  const at::Tensor c = t.contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

std::vector<std::int64_t> all_ids(const seq::PrefixExamples& examples) {
  std::vector<std::int64_t> ids(examples.size());
  std::iota(ids.begin(), ids.end(), std::int64_t{0});
  return ids;
}

std::vector<std::int64_t> shuffled_ids(const seq::PrefixExamples& examples, std::uint64_t seed) {
  std::vector<std::int64_t> ids = all_ids(examples);
  Rng rng(seed);
  rng.shuffle(ids);
  return ids;
}

SeqBatchOptions batch_options(int sample_size = kSampleSize) {
  return {.max_seq_length = kWindow, .sample_size = sample_size, .sampler_threads = 1};
}

bool same_tensor(const at::Tensor& a, const at::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() && at::equal(a, b);
}

bool same_view(const models::GraphView& a, const models::GraphView& b) {
  return same_tensor(a.nodes, b.nodes) && same_tensor(a.edge_index, b.edge_index) &&
         same_tensor(a.edge_weight, b.edge_weight);
}

void expect_same_batch(const models::SeqBatch& a, const models::SeqBatch& b) {
  EXPECT_TRUE(same_tensor(a.users, b.users));
  EXPECT_TRUE(same_tensor(a.inputs, b.inputs));
  EXPECT_TRUE(same_tensor(a.targets, b.targets));
  for (std::size_t v = 0; v < a.views.size(); ++v) EXPECT_TRUE(same_view(a.views[v], b.views[v]));
}

// The graph's edges as (row, column) -> weight.
std::map<std::pair<std::int64_t, std::int64_t>, float> edge_weights(const seq::WeightedGraph& g) {
  std::map<std::pair<std::int64_t, std::int64_t>, float> weights;
  for (std::int64_t r = 0; r < g.num_nodes; ++r) {
    for (auto e = g.row_offsets[static_cast<std::size_t>(r)];
         e < g.row_offsets[static_cast<std::size_t>(r) + 1]; ++e) {
      weights[{r, g.columns[static_cast<std::size_t>(e)]}] = g.weights[static_cast<std::size_t>(e)];
    }
  }
  return weights;
}

std::int64_t degree(const seq::WeightedGraph& g, std::int64_t node) {
  return g.row_offsets[static_cast<std::size_t>(node) + 1] -
         g.row_offsets[static_cast<std::size_t>(node)];
}

TEST(BuildSeqBatch, InputsUsersAndTargetsAreTheLeftPaddedWindows) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  const std::vector<std::int64_t> ids = shuffled_ids(examples, 5);
  Rng rng = Rng::stream(1, {2});
  const models::SeqBatch batch = build_seq_batch(corpus, examples, ids, batch_options(), rng);

  const auto size = static_cast<std::int64_t>(ids.size());
  ASSERT_EQ(batch.size(), size);
  ASSERT_EQ(batch.inputs.sizes(), (at::IntArrayRef{size, kWindow}));
  EXPECT_EQ(batch.inputs.scalar_type(), at::kLong);
  EXPECT_EQ(batch.users.scalar_type(), at::kLong);
  EXPECT_EQ(batch.targets.scalar_type(), at::kLong);
  const std::vector<std::int64_t> inputs = values(batch.inputs);
  const std::vector<std::int64_t> users = values(batch.users);
  const std::vector<std::int64_t> targets = values(batch.targets);
  bool saw_cut = false, saw_padded = false;
  for (std::int64_t b = 0; b < size; ++b) {
    const auto e = static_cast<std::size_t>(ids[static_cast<std::size_t>(b)]);
    const std::span<const std::int32_t> prefix = seq::example_prefix(corpus.sequences, examples, e);
    saw_cut |= prefix.size() > static_cast<std::size_t>(kWindow);
    saw_padded |= prefix.size() < static_cast<std::size_t>(kWindow);
    // The expected row, built independently: the last kWindow items, zeros in front.
    std::vector<std::int64_t> expected(static_cast<std::size_t>(kWindow), 0);
    for (std::size_t i = 0; i < prefix.size() && i < expected.size(); ++i) {
      expected[expected.size() - 1 - i] = prefix[prefix.size() - 1 - i];
    }
    const std::vector<std::int64_t> row(inputs.begin() + b * kWindow,
                                        inputs.begin() + (b + 1) * kWindow);
    EXPECT_EQ(row, expected) << "example " << e;
    EXPECT_EQ(users[static_cast<std::size_t>(b)], examples.rows[e]);
    EXPECT_EQ(targets[static_cast<std::size_t>(b)], examples.targets[e]);
    EXPECT_EQ(targets[static_cast<std::size_t>(b)],
              corpus.sequences.sequence(static_cast<std::size_t>(examples.rows[e]))[prefix.size()]);
  }
  EXPECT_TRUE(saw_cut) << "the corpus needs a prefix longer than the window";
  EXPECT_TRUE(saw_padded) << "the corpus needs a prefix shorter than the window";
}

// Every structural promise of a view, for sample_size k (-1 = all neighbours).
void expect_one_hop_views(const seq::SeqCorpus& corpus, const models::SeqBatch& batch, int k) {
  const std::map<std::pair<std::int64_t, std::int64_t>, float> weights = edge_weights(corpus.graph);
  const std::vector<std::int64_t> positions = values(batch.inputs);
  const auto num_positions = static_cast<std::int64_t>(positions.size());
  for (const models::GraphView& view : batch.views) {
    ASSERT_EQ(view.nodes.scalar_type(), at::kLong);
    ASSERT_EQ(view.edge_index.scalar_type(), at::kLong);
    ASSERT_EQ(view.edge_weight.scalar_type(), at::kFloat);
    ASSERT_EQ(view.edge_index.dim(), 2);
    ASSERT_EQ(view.edge_index.size(0), 2);
    const std::int64_t num_edges = view.edge_index.size(1);
    ASSERT_EQ(view.edge_weight.size(0), num_edges);
    ASSERT_GT(num_edges, 0);

    const std::vector<std::int64_t> nodes = values(view.nodes);
    ASSERT_GE(static_cast<std::int64_t>(nodes.size()), num_positions);
    EXPECT_EQ(std::vector<std::int64_t>(nodes.begin(), nodes.begin() + num_positions), positions);
    const std::set<std::int64_t> extra(nodes.begin() + num_positions, nodes.end());
    EXPECT_EQ(extra.size(), nodes.size() - positions.size()) << "appended nodes repeat";
    for (const std::int64_t node : extra) {
      EXPECT_EQ(std::count(positions.begin(), positions.end(), node), 0) << node;
    }

    const std::vector<std::int64_t> edge_index = values(view.edge_index);
    const at::Tensor weight = view.edge_weight.contiguous();
    const float* edge_weight = weight.data_ptr<float>();
    std::vector<std::set<std::int64_t>> neighbours(static_cast<std::size_t>(num_positions));
    std::vector<std::int64_t> edges_of(static_cast<std::size_t>(num_positions), 0);
    for (std::int64_t e = 0; e < num_edges; ++e) {
      const std::int64_t source = edge_index[static_cast<std::size_t>(e)];
      const std::int64_t target = edge_index[static_cast<std::size_t>(num_edges + e)];
      ASSERT_GE(target, 0);
      ASSERT_LT(target, num_positions);
      ASSERT_GE(source, 0);
      ASSERT_LT(source, static_cast<std::int64_t>(nodes.size()));
      const std::int64_t from = nodes[static_cast<std::size_t>(target)];
      const std::int64_t to = nodes[static_cast<std::size_t>(source)];
      const auto found = weights.find({from, to});
      ASSERT_NE(found, weights.end()) << to << " is no neighbour of " << from;
      EXPECT_EQ(edge_weight[e], found->second);
      neighbours[static_cast<std::size_t>(target)].insert(to);
      ++edges_of[static_cast<std::size_t>(target)];
    }
    for (std::int64_t p = 0; p < num_positions; ++p) {
      const std::int64_t item = positions[static_cast<std::size_t>(p)];
      const std::int64_t count = edges_of[static_cast<std::size_t>(p)];
      if (item == 0) {
        EXPECT_EQ(count, 0) << "padding position " << p << " has edges";
      }
      const std::int64_t all = degree(corpus.graph, item);
      EXPECT_EQ(count, k < 0 ? all : std::min<std::int64_t>(all, k)) << "position " << p;
      EXPECT_EQ(static_cast<std::int64_t>(neighbours[static_cast<std::size_t>(p)].size()), count)
          << "position " << p << " repeats a neighbour";
    }
  }
}

TEST(BuildSeqBatch, ViewsAreOneSampledHopIntoThePositions) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  const std::vector<std::int64_t> ids = shuffled_ids(examples, 6);
  std::int64_t high_degree = 0;
  for (std::int64_t n = 1; n < corpus.graph.num_nodes; ++n) {
    high_degree += degree(corpus.graph, n) > kSampleSize ? 1 : 0;
  }
  ASSERT_GT(high_degree, 3) << "the corpus must make sampling choose";
  for (const int k : {kSampleSize, -1}) {
    SCOPED_TRACE(k);
    Rng rng = Rng::stream(3, {static_cast<std::uint64_t>(k + 1)});
    const models::SeqBatch batch = build_seq_batch(corpus, examples, ids, batch_options(k), rng);
    expect_one_hop_views(corpus, batch, k);
  }
}

TEST(BuildSeqBatch, TwoViewsDifferButEachIsAPureFunctionOfTheRng) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  const std::vector<std::int64_t> ids = shuffled_ids(examples, 7);
  Rng rng = Rng::stream(11, {0, 4, 1});
  Rng copy = rng;
  const models::SeqBatch first = build_seq_batch(corpus, examples, ids, batch_options(), rng);
  const models::SeqBatch again = build_seq_batch(corpus, examples, ids, batch_options(), copy);
  expect_same_batch(first, again);
  EXPECT_FALSE(same_view(first.views[0], first.views[1]));
  // The rng advanced: the next draw differs from the first one.
  const models::SeqBatch next = build_seq_batch(corpus, examples, ids, batch_options(), rng);
  EXPECT_FALSE(same_view(first.views[0], next.views[0]));
  EXPECT_TRUE(same_tensor(first.inputs, next.inputs));
}

TEST(BuildSeqBatch, PinMemoryIsHonouredOnlyWithCuda) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const std::vector<std::int64_t> ids{0, 3, 5};
  SeqBatchOptions pinned = batch_options();
  pinned.pin_memory = true;
  Rng a = Rng::stream(1, {1});
  Rng b = a;
  const models::SeqBatch plain =
      build_seq_batch(corpus, corpus.splits.train, ids, batch_options(), a);
  const models::SeqBatch page_locked = build_seq_batch(corpus, corpus.splits.train, ids, pinned, b);
  expect_same_batch(plain, page_locked);
  EXPECT_EQ(page_locked.inputs.is_pinned(), at::hasCUDA());
  EXPECT_EQ(page_locked.views[1].edge_index.is_pinned(), at::hasCUDA());
  EXPECT_FALSE(plain.views[0].nodes.is_pinned());
}

TEST(BuildSeqBatch, RejectsBadIdsAndAGraphWithoutNodeZero) {
  seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  const auto size = static_cast<std::int64_t>(examples.size());
  Rng rng(0);
  const std::vector<std::int64_t> past_end{0, size};
  const std::vector<std::int64_t> negative{-1};
  EXPECT_THROW(build_seq_batch(corpus, examples, past_end, batch_options(), rng), Error);
  EXPECT_THROW(build_seq_batch(corpus, examples, negative, batch_options(), rng), Error);
  EXPECT_THROW(
      build_seq_batch(corpus, examples, std::span<const std::int64_t>{}, batch_options(), rng),
      Error);
  const std::vector<std::int64_t> fine{0};
  EXPECT_NO_THROW(build_seq_batch(corpus, examples, fine, batch_options(), rng));
  corpus.graph = seq::WeightedGraph{};
  EXPECT_THROW(build_seq_batch(corpus, examples, fine, batch_options(), rng), Error);
}

SeqBatcherOptions batcher_options(std::int64_t batch_size, std::int32_t threads) {
  SeqBatcherOptions o;
  o.batch_size = batch_size;
  o.batch = batch_options();
  o.seed = 21;
  o.epoch = 3;
  o.rank = 1;
  o.threads = threads;
  o.prefetch_batches = 2;
  return o;
}

std::vector<models::SeqBatch> all_batches(SeqBatcher& batcher) {
  std::vector<models::SeqBatch> batches;
  while (auto b = batcher.next()) batches.push_back(std::move(*b));
  EXPECT_FALSE(batcher.next().has_value());
  return batches;
}

TEST(SeqBatcher, DeliversBuildSeqBatchOnEachBatchStream) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  const std::vector<std::int64_t> order = shuffled_ids(examples, 8);
  const auto total = static_cast<std::int64_t>(order.size());
  constexpr std::int64_t kBatch = 7;
  ASSERT_NE(total % kBatch, 0) << "the last batch must be partial";
  const SeqBatcherOptions options = batcher_options(kBatch, 2);
  SeqBatcher batcher(corpus, examples, order, options);
  ASSERT_EQ(batcher.num_batches(), (total + kBatch - 1) / kBatch);

  const std::vector<models::SeqBatch> batches = all_batches(batcher);
  ASSERT_EQ(static_cast<std::int64_t>(batches.size()), batcher.num_batches());
  EXPECT_EQ(batches.back().size(), total % kBatch);
  std::int64_t edges = 0;
  for (std::size_t j = 0; j < batches.size(); ++j) {
    SCOPED_TRACE(j);
    const auto begin = static_cast<std::int64_t>(j) * kBatch;
    const std::vector<std::int64_t> ids(order.begin() + begin,
                                        order.begin() + std::min(total, begin + kBatch));
    Rng rng = Rng::stream(options.seed, {3, j, 1});
    expect_same_batch(batches[j], build_seq_batch(corpus, examples, ids, options.batch, rng));
    for (const auto& view : batches[j].views) edges += view.edge_index.size(1);
  }

  const SeqLoaderStatistics stats = batcher.statistics();
  EXPECT_EQ(stats.batches, batcher.num_batches());
  EXPECT_EQ(stats.samples, total);
  EXPECT_EQ(stats.edges, edges);
  EXPECT_GT(stats.build_seconds, 0.0);
  EXPECT_GT(stats.sample_seconds, 0.0);
  EXPECT_LE(stats.sample_seconds, stats.build_seconds);
  EXPECT_GE(stats.wait_seconds, 0.0);
}

TEST(SeqBatcher, SameBatchesForAnyThreadCountAndDifferentPerRank) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  const std::vector<std::int64_t> order = shuffled_ids(examples, 9);
  SeqBatcher inline_batcher(corpus, examples, order, batcher_options(4, 0));
  SeqBatcher threaded(corpus, examples, order, batcher_options(4, 3));
  const std::vector<models::SeqBatch> a = all_batches(inline_batcher);
  const std::vector<models::SeqBatch> b = all_batches(threaded);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t j = 0; j < a.size(); ++j) expect_same_batch(a[j], b[j]);

  SeqBatcherOptions other_rank = batcher_options(4, 0);
  other_rank.rank = 0;
  SeqBatcher rank0(corpus, examples, order, other_rank);
  const std::optional<models::SeqBatch> first = rank0.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(same_tensor(first->inputs, a[0].inputs));
  EXPECT_FALSE(same_view(first->views[0], a[0].views[0]));
}

TEST(SeqBatcher, ResumeWithFirstBatchGivesTheSameTail) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  const std::vector<std::int64_t> order = shuffled_ids(examples, 10);
  constexpr std::int64_t kBatch = 5, kDone = 2;
  SeqBatcher full(corpus, examples, order, batcher_options(kBatch, 2));
  const std::vector<models::SeqBatch> whole = all_batches(full);
  ASSERT_GT(static_cast<std::int64_t>(whole.size()), kDone + 1);

  SeqBatcherOptions resumed = batcher_options(kBatch, 2);
  resumed.first_batch = kDone;
  SeqBatcher tail_batcher(corpus, examples,
                          std::vector<std::int64_t>(order.begin() + kDone * kBatch, order.end()),
                          resumed);
  const std::vector<models::SeqBatch> tail = all_batches(tail_batcher);
  ASSERT_EQ(tail.size(), whole.size() - kDone);
  for (std::size_t j = 0; j < tail.size(); ++j) expect_same_batch(tail[j], whole[j + kDone]);
}

TEST(SeqBatcher, ABadIdFailsInItsBatchTurn) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  std::vector<std::int64_t> order = all_ids(examples);
  constexpr std::int64_t kBatch = 3;
  ASSERT_GT(static_cast<std::int64_t>(order.size()), 3 * kBatch);
  order[2 * kBatch + 1] = static_cast<std::int64_t>(examples.size());
  SeqBatcher batcher(corpus, examples, order, batcher_options(kBatch, 2));
  EXPECT_TRUE(batcher.next().has_value());
  EXPECT_TRUE(batcher.next().has_value());
  try {
    batcher.next();
    FAIL() << "batch 2 holds a bad id";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("building batch 2 of"), std::string::npos) << e.what();
  }
  EXPECT_THROW(batcher.next(), Error);
  EXPECT_EQ(batcher.statistics().batches, 2);
}

TEST(SeqBatcher, RejectsBadOptions) {
  const seq::SeqCorpus corpus = tiny_corpus();
  const std::vector<std::int64_t> order{0, 1};
  EXPECT_THROW(SeqBatcher(corpus, corpus.splits.train, order, batcher_options(0, 1)), Error);
  EXPECT_THROW(SeqBatcher(corpus, corpus.splits.train, order, batcher_options(2, -1)), Error);
  SeqBatcherOptions negative_start = batcher_options(2, 1);
  negative_start.first_batch = -1;
  EXPECT_THROW(SeqBatcher(corpus, corpus.splits.train, order, negative_start), Error);
}

TEST(SeqBatcher, DeliversToCudaWhenAvailable) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const seq::SeqCorpus corpus = tiny_corpus();
  const seq::PrefixExamples& examples = corpus.splits.train;
  const std::vector<std::int64_t> order = shuffled_ids(examples, 12);
  SeqBatcher on_host(corpus, examples, order, batcher_options(6, 1));
  SeqBatcherOptions cuda = batcher_options(6, 1);
  cuda.device = at::Device(at::kCUDA, 0);
  SeqBatcher on_device(corpus, examples, order, cuda);
  while (auto host = on_host.next()) {
    const std::optional<models::SeqBatch> device = on_device.next();
    ASSERT_TRUE(device.has_value());
    EXPECT_TRUE(device->inputs.is_cuda());
    EXPECT_TRUE(device->views[1].edge_weight.is_cuda());
    expect_same_batch(*host, device->to(at::kCPU));
  }
  EXPECT_FALSE(on_device.next().has_value());
}

}  // namespace
}  // namespace rsdist::loader
