#include "data/seq/witg.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "data/seq/sequence_splits.hpp"

namespace rsdist::seq {
namespace {

using Items = std::vector<std::int32_t>;

// Row r as (column, weight) pairs in stored order.
std::vector<std::pair<std::int32_t, float>> row_of(const WeightedGraph& graph, std::int64_t r) {
  std::vector<std::pair<std::int32_t, float>> row;
  for (auto e = graph.row_offsets[static_cast<std::size_t>(r)];
       e < graph.row_offsets[static_cast<std::size_t>(r) + 1]; ++e) {
    row.emplace_back(graph.columns[static_cast<std::size_t>(e)],
                     graph.weights[static_cast<std::size_t>(e)]);
  }
  return row;
}

// Three sequences small enough to work the graph out by hand (below). Sequence [1,2,3,1] has the
// self-pair (1,1) at distance 3, and [6,4,5] makes row 4 list neighbour 6 before 5 on a tie.
SequenceCorpus hand_corpus() {
  SequenceCorpus corpus;
  corpus.append(0, Items{1, 2, 3, 1});
  corpus.append(1, Items{2, 4});
  corpus.append(2, Items{6, 4, 5});
  return corpus;
}

// Pairs (window): [1,2,3,1]: (1,2)1 (2,3)1 (3,1)1 (1,3)2 (2,1)2 (1,1)3; [2,4]: (2,4)1;
// [6,4,5]: (6,4)1 (4,5)1 (6,5)2. Undirected sums: {1,2} 1+1/2, {1,3} 1+1/2, {1,1} 2*(1/3),
// {2,3} 1, {2,4} 1, {4,6} 1, {4,5} 1, {5,6} 1/2.
TEST(Witg, RawWeightsOfAHandComputedGraph) {
  const WeightedGraph graph = build_witg(hand_corpus());
  EXPECT_EQ(graph.num_nodes, 7);     // items 1..6 plus the padding node 0
  EXPECT_EQ(graph.num_edges(), 15);  // 7 undirected pairs twice + 1 self-loop once
  EXPECT_EQ(graph.row_offsets, (std::vector<std::int64_t>{0, 0, 3, 6, 8, 11, 13, 15}));
  using Row = std::vector<std::pair<std::int32_t, float>>;
  // Row 1: 2 and 3 tie at 1.5; 2 entered the row first. The self-loop holds 2/3.
  EXPECT_EQ(row_of(graph, 1), (Row{{2, 1.5f}, {3, 1.5f}, {1, static_cast<float>(2.0 / 3.0)}}));
  EXPECT_EQ(row_of(graph, 2), (Row{{1, 1.5f}, {3, 1.0f}, {4, 1.0f}}));
  // Row 3 received 2 before 1, but 1 weighs more.
  EXPECT_EQ(row_of(graph, 3), (Row{{1, 1.5f}, {2, 1.0f}}));
  // Row 4: three ties at 1.0, in order of first appearance (2, then 6, then 5), not by id.
  EXPECT_EQ(row_of(graph, 4), (Row{{2, 1.0f}, {6, 1.0f}, {5, 1.0f}}));
  EXPECT_EQ(row_of(graph, 5), (Row{{4, 1.0f}, {6, 0.5f}}));
  EXPECT_EQ(row_of(graph, 6), (Row{{4, 1.0f}, {5, 0.5f}}));
}

// Degrees (stored neighbours): 1:3 2:3 3:2 4:3 5:2 6:2. Each weight times 1/deg(r) + 1/deg(c).
TEST(Witg, RenormalisedWeightsOfAHandComputedGraph) {
  const WeightedGraph raw = build_witg(hand_corpus());
  const WeightedGraph graph =
      build_witg(hand_corpus(), {.normalization = WitgNormalization::kRenorm});
  // Same structure and neighbour order as the raw graph.
  EXPECT_EQ(graph.row_offsets, raw.row_offsets);
  EXPECT_EQ(graph.columns, raw.columns);
  const auto f = [](double x) { return static_cast<float>(x); };
  using Row = std::vector<std::pair<std::int32_t, float>>;
  EXPECT_EQ(row_of(graph, 1), (Row{{2, f(1.5 * (1.0 / 3 + 1.0 / 3))},
                                   {3, f(1.5 * (1.0 / 3 + 1.0 / 2))},
                                   {1, f(2.0 / 3.0 * (1.0 / 3 + 1.0 / 3))}}));
  EXPECT_FLOAT_EQ(row_of(graph, 1)[0].second, 1.0f);
  EXPECT_FLOAT_EQ(row_of(graph, 1)[1].second, 1.25f);
  EXPECT_FLOAT_EQ(row_of(graph, 1)[2].second, 4.0f / 9.0f);
  EXPECT_EQ(row_of(graph, 2),
            (Row{{1, f(1.5 * (1.0 / 3 + 1.0 / 3))}, {3, f(1.0 / 3 + 1.0 / 2)}, {4, f(2.0 / 3)}}));
  EXPECT_EQ(row_of(graph, 4),
            (Row{{2, f(2.0 / 3)}, {6, f(1.0 / 3 + 1.0 / 2)}, {5, f(1.0 / 3 + 1.0 / 2)}}));
  EXPECT_EQ(row_of(graph, 5), (Row{{4, f(1.0 / 2 + 1.0 / 3)}, {6, 0.5f}}));
}

TEST(Witg, ExtraNodesAreIsolatedAndTooFewIsAnError) {
  const WeightedGraph graph = build_witg(hand_corpus(), {.num_nodes = 10});
  EXPECT_EQ(graph.num_nodes, 10);
  EXPECT_EQ(graph.row_offsets.size(), 11u);
  EXPECT_EQ(graph.row_offsets[7], 15);
  EXPECT_EQ(graph.row_offsets[10], 15);
  EXPECT_THROW(build_witg(hand_corpus(), {.num_nodes = 6}), Error);
  EXPECT_THROW(build_witg(hand_corpus(), {.max_window = 0}), Error);
}

TEST(Witg, WindowOneKeepsOnlyAdjacentPairs) {
  const WeightedGraph graph = build_witg(hand_corpus(), {.max_window = 1});
  using Row = std::vector<std::pair<std::int32_t, float>>;
  EXPECT_EQ(row_of(graph, 1), (Row{{2, 1.0f}, {3, 1.0f}}));
  EXPECT_EQ(graph.num_edges(), 2 * 6);  // {1,2} {2,3} {1,3} {2,4} {4,6} {4,5}
}

TEST(Witg, ParsesNormalisationNames) {
  EXPECT_EQ(parse_witg_normalization("none"), WitgNormalization::kNone);
  EXPECT_EQ(parse_witg_normalization("renorm"), WitgNormalization::kRenorm);
  EXPECT_EQ(witg_normalization_name(WitgNormalization::kRenorm), "renorm");
  EXPECT_THROW(parse_witg_normalization("sym"), Error);
}

// --- Real data: the seed notebook's graph on Home ------------------------------------------------

const std::string kHomeDir = std::string(RSDIST_SOURCE_DIR) + "/../shared/data/gcl4sr_home";

// Golden values were produced while developing by a direct Python transcription of the seed
// notebook's build_weighted_item_transition_graph (dicts per node, sorted(..., reverse=True) by
// weight) over all_train_seq.txt, with renorm = weight * (1/deg(row) + 1/deg(col)) in float64 as
// GCL4SR's build_witg.py, and the weights printed after casting to float32 with numpy.
struct GoldenEdge {
  std::int64_t row;
  std::size_t rank;  // position within the row
  std::int32_t column;
  float raw;
  float renorm;
};
const GoldenEdge kGoldenEdges[] = {
    {1, 0, 19501, 4.0f, 0.26851850748062134f},
    {1, 1, 754, 1.5f, 0.00851348228752613f},  // a tie with 108, which entered the row later
    {1, 2, 108, 1.5f, 0.008747329004108906f},
    {1, 3, 2, 1.0f, 0.008279264904558659f},
    {12, 0, 5, 3.5f, 0.13498622179031372f},
    {12, 1, 113, 2.8333332538604736f, 0.1583366096019745f},
    {12, 2, 112, 2.0f, 0.10348545014858246f},
    {12, 3, 24679, 2.0f, 0.11176702380180359f},
    {10000, 0, 12696, 2.0f, 0.055309079587459564f},
    {10000, 3, 118, 1.3333333730697632f, 0.011976650916039944f},
    {28237, 0, 28236, 1.0f, 0.5833333134651184f},
    {28237, 1, 28232, 1.0f, 0.4166666567325592f},
    {28237, 2, 28233, 0.5f, 0.1964285671710968f},
    {28237, 3, 28234, 0.3333333432674408f, 0.1388888955116272f},
};
// Whole-graph checksums from the same script: sum over edges e of ((e % 1000003) + 1) * column[e],
// sum of row_offsets, and sum of double(weight[e]) * ((e % 7) + 1).
constexpr std::int64_t kColumnChecksum = 6183426031010893;
constexpr std::int64_t kOffsetChecksum = 31295615866;
constexpr double kRawWeightChecksum = 4543576.6833705902;
constexpr double kRenormWeightChecksum = 154869.0288622838;

std::int64_t column_checksum(const WeightedGraph& graph) {
  std::int64_t sum = 0;
  for (std::int64_t e = 0; e < graph.num_edges(); ++e) {
    sum += (e % 1000003 + 1) * graph.columns[static_cast<std::size_t>(e)];
  }
  return sum;
}

double weight_checksum(const WeightedGraph& graph) {
  double sum = 0;
  for (std::int64_t e = 0; e < graph.num_edges(); ++e) {
    sum += static_cast<double>(graph.weights[static_cast<std::size_t>(e)]) *
           static_cast<double>(e % 7 + 1);
  }
  return sum;
}

TEST(WitgRealData, HomeGraphMatchesTheSeedNotebook) {
  if (!std::filesystem::exists(kHomeDir + "/home.txt")) GTEST_SKIP() << "shared data not present";
  // Built from our own split of home.txt, which another test shows equals all_train_seq.txt.
  const SequenceSplits splits = split_sequences(read_sequences(kHomeDir + "/home.txt"));
  const WeightedGraph raw = build_witg(splits.all_train_sequences);
  const WeightedGraph renorm =
      build_witg(splits.all_train_sequences, {.normalization = WitgNormalization::kRenorm});

  EXPECT_EQ(raw.num_nodes, 28238);
  EXPECT_EQ(raw.num_edges(), 1617638);
  EXPECT_EQ(raw.row_offsets[1], 0);  // the padding node has no edges
  EXPECT_EQ(row_of(raw, 1).size(), 216u);
  EXPECT_EQ(row_of(raw, 28237).size(), 4u);
  for (const GoldenEdge& golden : kGoldenEdges) {
    const auto raw_row = row_of(raw, golden.row);
    const auto renorm_row = row_of(renorm, golden.row);
    ASSERT_LT(golden.rank, raw_row.size());
    EXPECT_EQ(raw_row[golden.rank].first, golden.column) << "row " << golden.row;
    EXPECT_EQ(raw_row[golden.rank].second, golden.raw) << "row " << golden.row;
    EXPECT_EQ(renorm_row[golden.rank].first, golden.column) << "row " << golden.row;
    EXPECT_FLOAT_EQ(renorm_row[golden.rank].second, golden.renorm) << "row " << golden.row;
  }
  EXPECT_EQ(column_checksum(raw), kColumnChecksum);
  std::int64_t offset_sum = 0;
  for (std::int64_t offset : raw.row_offsets) offset_sum += offset;
  EXPECT_EQ(offset_sum, kOffsetChecksum);
  EXPECT_NEAR(weight_checksum(raw), kRawWeightChecksum, 1e-3);
  EXPECT_NEAR(weight_checksum(renorm), kRenormWeightChecksum, 1e-4);

  // Deterministic: a second build is bit-identical.
  const WeightedGraph again = build_witg(splits.all_train_sequences);
  EXPECT_EQ(again.row_offsets, raw.row_offsets);
  EXPECT_EQ(again.columns, raw.columns);
  EXPECT_EQ(again.weights, raw.weights);
}

}  // namespace
}  // namespace rsdist::seq
