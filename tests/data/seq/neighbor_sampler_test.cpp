#include "data/seq/neighbor_sampler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "data/seq/sequence_reader.hpp"

namespace rsdist::seq {
namespace {

using Ids = std::vector<std::int64_t>;

// A symmetric graph from adjacency lists; weight of {a, b} = 10 * min + max, the same both ways.
WeightedGraph graph_from_rows(const std::vector<std::vector<std::int32_t>>& rows) {
  WeightedGraph graph;
  graph.num_nodes = static_cast<std::int64_t>(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    for (const std::int32_t c : rows[r]) {
      graph.columns.push_back(c);
      const auto a = static_cast<float>(std::min<std::size_t>(r, static_cast<std::size_t>(c)));
      const auto b = static_cast<float>(std::max<std::size_t>(r, static_cast<std::size_t>(c)));
      graph.weights.push_back(10.0f * a + b);
    }
    graph.row_offsets.push_back(static_cast<std::int64_t>(graph.columns.size()));
  }
  return graph;
}

// Node 0 is isolated (the padding item). CSR positions: row 1 = 0..2 (2, 3, 4), row 2 = 3..4
// (1, 3), row 3 = 5..7 (1, 2, 5), row 4 = 8 (1), row 5 = 9 (3).
WeightedGraph hand_graph() { return graph_from_rows({{}, {2, 3, 4}, {1, 3}, {1, 2, 5}, {1}, {3}}); }

// Node 1 has degree 5 (CSR positions 0..4); nodes 2..6 each link back to 1 only.
WeightedGraph star_graph() {
  return graph_from_rows({{}, {2, 3, 4, 5, 6}, {1}, {1}, {1}, {1}, {1}});
}

// A random symmetric graph without multi-edges, degrees 0 to ~40.
WeightedGraph random_graph(std::int32_t num_nodes, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::set<std::int32_t>> adjacency(static_cast<std::size_t>(num_nodes));
  for (std::int32_t a = 1; a < num_nodes; ++a) {
    const auto tries = static_cast<int>(rng.uniform_below(20));
    for (int t = 0; t < tries; ++t) {
      const auto b = static_cast<std::int32_t>(1 + rng.uniform_below(num_nodes - 1));
      adjacency[static_cast<std::size_t>(a)].insert(b);
      adjacency[static_cast<std::size_t>(b)].insert(a);
    }
  }
  std::vector<std::vector<std::int32_t>> rows;
  for (const auto& neighbours : adjacency) rows.emplace_back(neighbours.begin(), neighbours.end());
  return graph_from_rows(rows);
}

NeighborSample sample(const WeightedGraph& graph, const Ids& targets, std::vector<int> sizes,
                      std::uint64_t seed = 7, int threads = 1) {
  Rng rng = Rng::stream(seed, {0, 0, 0});
  return sample_neighbors(graph, targets,
                          {.sample_sizes = std::move(sizes), .num_threads = threads}, rng);
}

// Every structural promise of the header, checked against the graph.
void expect_invariants(const WeightedGraph& graph, const Ids& targets,
                       const std::vector<int>& sizes, const NeighborSample& s) {
  ASSERT_EQ(s.batch_size, static_cast<std::int64_t>(targets.size()));
  ASSERT_EQ(s.blocks.size(), sizes.size());
  ASSERT_GE(s.n_id.size(), targets.size());
  EXPECT_TRUE(std::equal(targets.begin(), targets.end(), s.n_id.begin()));  // targets first
  // Appended nodes are new: none repeats, none is a target.
  std::set<std::int64_t> seen(targets.begin(), targets.end());
  for (std::size_t i = targets.size(); i < s.n_id.size(); ++i) {
    EXPECT_TRUE(seen.insert(s.n_id[i]).second) << "duplicate node " << s.n_id[i];
  }
  std::unordered_map<std::int64_t, std::int64_t> last_position;
  for (std::size_t i = 0; i < s.n_id.size(); ++i)
    last_position[s.n_id[i]] = static_cast<std::int64_t>(i);

  auto num_targets = static_cast<std::int64_t>(targets.size());
  for (std::size_t hop = 0; hop < sizes.size(); ++hop) {
    const BipartiteBlock& block = s.blocks[sizes.size() - 1 - hop];  // outermost first
    ASSERT_EQ(block.num_targets, num_targets);
    ASSERT_GE(block.num_sources, num_targets);
    ASSERT_EQ(block.edge_index.size(), 2 * block.e_id.size());
    std::vector<std::int64_t> per_target(static_cast<std::size_t>(num_targets), 0);
    for (std::int64_t e = 0; e < block.num_edges(); ++e) {
      const std::int64_t source = block.sources()[static_cast<std::size_t>(e)];
      const std::int64_t target = block.targets()[static_cast<std::size_t>(e)];
      const std::int64_t id = block.e_id[static_cast<std::size_t>(e)];
      ASSERT_TRUE(source >= 0 && source < block.num_sources);
      ASSERT_TRUE(target >= 0 && target < num_targets);
      const auto target_node = static_cast<std::size_t>(s.n_id[static_cast<std::size_t>(target)]);
      // e_id lies in the target's row and names the source node.
      ASSERT_GE(id, graph.row_offsets[target_node]);
      ASSERT_LT(id, graph.row_offsets[target_node + 1]);
      const std::int64_t source_node = s.n_id[static_cast<std::size_t>(source)];
      EXPECT_EQ(graph.columns[static_cast<std::size_t>(id)], source_node);
      EXPECT_EQ(source, last_position[source_node]);  // as PyG's n_id_map
      if (e > 0) {  // grouped by target, sources strictly ascending within one (no repeats)
        const std::int64_t prev_target = block.targets()[static_cast<std::size_t>(e - 1)];
        ASSERT_LE(prev_target, target);
        if (prev_target == target) {
          EXPECT_LT(block.sources()[static_cast<std::size_t>(e - 1)], source);
        }
      }
      ++per_target[static_cast<std::size_t>(target)];
    }
    for (std::int64_t t = 0; t < num_targets; ++t) {
      const auto node = static_cast<std::size_t>(s.n_id[static_cast<std::size_t>(t)]);
      const std::int64_t degree = graph.row_offsets[node + 1] - graph.row_offsets[node];
      const std::int64_t k = sizes[hop] < 0 ? degree : std::min<std::int64_t>(degree, sizes[hop]);
      EXPECT_EQ(per_target[static_cast<std::size_t>(t)], k) << "hop " << hop << " target " << t;
    }
    num_targets = block.num_sources;  // this hop's frontier is the next hop's targets
  }
  EXPECT_EQ(num_targets, static_cast<std::int64_t>(s.n_id.size()));
}

bool same_sample(const NeighborSample& a, const NeighborSample& b) {
  if (a.n_id != b.n_id || a.blocks.size() != b.blocks.size()) return false;
  for (std::size_t i = 0; i < a.blocks.size(); ++i) {
    if (a.blocks[i].edge_index != b.blocks[i].edge_index || a.blocks[i].e_id != b.blocks[i].e_id ||
        a.blocks[i].num_sources != b.blocks[i].num_sources) {
      return false;
    }
  }
  return true;
}

// With k >= every degree nothing is random; worked out by hand from hand_graph's rows.
TEST(NeighborSampler, TwoHopsTakingAllNeighboursByHand) {
  const NeighborSample s = sample(hand_graph(), {4, 2}, {5, 5});
  EXPECT_EQ(s.batch_size, 2);
  // Hop 1: 4 -> {1}; 2 -> {1, 3}: 1 and 3 are new. Hop 2 adds 5 (a neighbour of 3).
  EXPECT_EQ(s.n_id, (Ids{4, 2, 1, 3, 5}));
  ASSERT_EQ(s.blocks.size(), 2u);
  const BipartiteBlock& inner = s.blocks[1];
  EXPECT_EQ(inner.num_sources, 4);
  EXPECT_EQ(inner.num_targets, 2);
  EXPECT_EQ(inner.edge_index, (Ids{2, 2, 3, /*targets*/ 0, 1, 1}));
  EXPECT_EQ(inner.e_id, (Ids{8, 3, 4}));
  const BipartiteBlock& outer = s.blocks[0];
  EXPECT_EQ(outer.num_sources, 5);
  EXPECT_EQ(outer.num_targets, 4);
  // Target 2 (node 1): sources 4, 2, 3 at locals 0, 1, 3; target 3 (node 3): 2, 1, 5 at 1, 2, 4.
  EXPECT_EQ(outer.edge_index,
            (Ids{2, 2, 3, 0, 1, 3, 1, 2, 4, /*targets*/ 0, 1, 1, 2, 2, 2, 3, 3, 3}));
  EXPECT_EQ(outer.e_id, (Ids{8, 3, 4, 2, 0, 1, 6, 5, 7}));
  expect_invariants(hand_graph(), {4, 2}, {5, 5}, s);
}

// As PyG: duplicated targets keep their positions, each samples on its own, and a neighbour that
// is a duplicated target maps to its last position; the isolated node 0 has no edges.
TEST(NeighborSampler, DuplicateTargetsAsPyG) {
  const Ids targets{1, 4, 1, 0};
  const NeighborSample s = sample(hand_graph(), targets, {-1});
  EXPECT_EQ(s.n_id, (Ids{1, 4, 1, 0, 2, 3}));
  ASSERT_EQ(s.blocks.size(), 1u);
  EXPECT_EQ(s.blocks[0].num_sources, 6);
  EXPECT_EQ(s.blocks[0].num_targets, 4);
  EXPECT_EQ(s.blocks[0].edge_index, (Ids{1, 4, 5, 2, 1, 4, 5, /*targets*/ 0, 0, 0, 1, 2, 2, 2}));
  EXPECT_EQ(s.blocks[0].e_id, (Ids{2, 0, 1, 8, 2, 0, 1}));
  expect_invariants(hand_graph(), targets, {-1}, s);
}

TEST(NeighborSampler, EmptyTargetsGiveEmptyBlocks) {
  const NeighborSample s = sample(hand_graph(), {}, {20, 20});
  EXPECT_TRUE(s.n_id.empty());
  ASSERT_EQ(s.blocks.size(), 2u);
  EXPECT_EQ(s.blocks[0].num_edges(), 0);
  EXPECT_EQ(s.blocks[0].num_sources, 0);
}

TEST(NeighborSampler, KeepsInvariantsAndNeverRepeatsANeighbourOverManySeeds) {
  const WeightedGraph graph = random_graph(200, 3);
  Ids targets;
  for (std::int64_t i = 0; i < 64; ++i) targets.push_back((i * 37) % 200);
  targets.push_back(targets[5]);  // a duplicate
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const NeighborSample s = sample(graph, targets, {3, 2}, seed);
    expect_invariants(graph, targets, {3, 2}, s);
    if (HasFailure()) FAIL() << "seed " << seed;
  }
}

// Degree 5, k = 2: each of the 10 pairs should come up equally often, each position with
// probability 2/5. The draws are seeded, so the bounds are fixed, not flaky; chi-square with 9
// degrees of freedom exceeds 40 with probability ~1e-5. (torch_sparse's off-by-one Floyd would
// give 0.5 / 0.25 marginals and fail.)
TEST(NeighborSampler, SamplesUniformlyWithoutReplacement) {
  constexpr int kDraws = 20000;
  const Ids targets(kDraws, 1);
  const NeighborSample s = sample(star_graph(), targets, {2});
  std::map<std::pair<std::int64_t, std::int64_t>, int> pair_counts;
  std::vector<int> position_counts(5, 0);
  const BipartiteBlock& block = s.blocks[0];
  ASSERT_EQ(block.num_edges(), 2 * kDraws);
  for (std::int64_t e = 0; e < block.num_edges(); e += 2) {
    const std::int64_t a = block.e_id[static_cast<std::size_t>(e)];
    const std::int64_t b = block.e_id[static_cast<std::size_t>(e) + 1];
    ASSERT_NE(a, b);
    ++pair_counts[{std::min(a, b), std::max(a, b)}];
    ++position_counts[static_cast<std::size_t>(a)];
    ++position_counts[static_cast<std::size_t>(b)];
  }
  ASSERT_EQ(pair_counts.size(), 10u);
  double chi_square = 0;
  for (const auto& [pair, count] : pair_counts) {
    const double expected = kDraws / 10.0;
    chi_square += (count - expected) * (count - expected) / expected;
  }
  EXPECT_LT(chi_square, 40.0);
  for (const int count : position_counts) EXPECT_NEAR(count / double(kDraws), 0.4, 0.02);
}

TEST(NeighborSampler, DeterministicForASeedAndIndependentOfThreadCount) {
  const WeightedGraph graph = random_graph(3000, 11);
  Ids targets;
  Rng pick(5);
  for (int i = 0; i < 6000; ++i)
    targets.push_back(static_cast<std::int64_t>(pick.uniform_below(3000)));
  const NeighborSample one = sample(graph, targets, {20, 20}, 42, 1);
  expect_invariants(graph, targets, {20, 20}, one);
  for (const int threads : {2, 3, 8}) {
    EXPECT_TRUE(same_sample(one, sample(graph, targets, {20, 20}, 42, threads))) << threads;
  }
  EXPECT_FALSE(same_sample(one, sample(graph, targets, {20, 20}, 43, 1)));
}

// GCL4SR samples two views per step; two calls on one stream must differ.
TEST(NeighborSampler, SecondCallOnTheSameStreamSamplesAnotherView) {
  const Ids targets(50, 1);
  Rng rng = Rng::stream(1, {0, 0, 0});
  const NeighborSample a = sample_neighbors(star_graph(), targets, {.sample_sizes = {2}}, rng);
  const NeighborSample b = sample_neighbors(star_graph(), targets, {.sample_sizes = {2}}, rng);
  EXPECT_FALSE(same_sample(a, b));
}

TEST(NeighborSampler, RejectsInvalidInputs) {
  const WeightedGraph graph = hand_graph();
  Rng rng(1);
  EXPECT_THROW(sample_neighbors(graph, Ids{6}, {}, rng), Error);
  EXPECT_THROW(sample_neighbors(graph, Ids{-1}, {}, rng), Error);
  EXPECT_THROW(sample_neighbors(graph, Ids{1}, {.sample_sizes = {}}, rng), Error);
  EXPECT_THROW(sample_neighbors(graph, Ids{1}, {.sample_sizes = {-2}}, rng), Error);
  EXPECT_THROW(sample_neighbors(graph, Ids{1}, {.num_threads = 0}, rng), Error);
}

// --- Real data: one training batch's worth of targets on the Home WITG ---------------------------

const std::string kHomeDir = std::string(RSDIST_SOURCE_DIR) + "/../shared/data/gcl4sr_home";

TEST(NeighborSamplerRealData, HomeBatchKeepsInvariants) {
  const std::string path = kHomeDir + "/all_train_seq.txt";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data not present";
  const WeightedGraph graph = build_witg(read_sequences(path));
  // The first 1024 items of the training sequences: repeats, as in a real batch.
  const SequenceCorpus corpus = read_sequences(path);
  const Ids targets(corpus.items.begin(), corpus.items.begin() + 1024);
  const std::vector<int> sizes{20, 20};
  const NeighborSample s = sample(graph, targets, sizes, 2024, 1);
  expect_invariants(graph, targets, sizes, s);
  EXPECT_TRUE(same_sample(s, sample(graph, targets, sizes, 2024, 4)));

  // The reverse edge (source -> target, the one PyG's e_id names) weighs the same as ours.
  for (const BipartiteBlock& block : s.blocks) {
    for (std::int64_t e = 0; e < block.num_edges(); e += 97) {
      const std::int64_t target_node =
          s.n_id[static_cast<std::size_t>(block.targets()[static_cast<std::size_t>(e)])];
      const auto source_node = static_cast<std::size_t>(
          s.n_id[static_cast<std::size_t>(block.sources()[static_cast<std::size_t>(e)])]);
      const auto begin = graph.columns.begin() + graph.row_offsets[source_node];
      const auto end = graph.columns.begin() + graph.row_offsets[source_node + 1];
      const auto reverse = std::find(begin, end, static_cast<std::int32_t>(target_node));
      ASSERT_NE(reverse, end);
      EXPECT_EQ(graph.weights[static_cast<std::size_t>(reverse - graph.columns.begin())],
                graph.weights[static_cast<std::size_t>(block.e_id[static_cast<std::size_t>(e)])]);
    }
  }
}

}  // namespace
}  // namespace rsdist::seq
