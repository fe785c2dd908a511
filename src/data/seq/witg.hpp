// The weighted item transition graph (WITG) of GCL4SR, built from the training sequences
// (all_train_seq). Semantics follow the seed notebook and GCL4SR's official build_witg.py exactly:
//
//  * For every sequence, window k = 1..3 and position t, the pair (a, b) = (s[t], s[t+k]) adds 1/k
//    to w(a, b) and then 1/k to w(b, a). A self-pair (a == b) therefore adds 2/k to the single
//    self-loop entry w(a, a), which is stored as one directed edge.
//  * Nodes are 0 .. max item (node 0, the padding id, has no edges): Home has 28,238 nodes and
//    1,617,638 directed edges (each undirected pair twice, each self-loop once).
//  * Each row lists its neighbours by raw weight, descending. Ties keep the order in which the
//    neighbour first entered the row (Python's stable sort over dict insertion order in the
//    reference), so the CSR equals the reference's edge_index column for column. Sums are
//    accumulated in double in the reference's order, compared in double, and only then cast.
//  * kNone stores the raw weights (the seed notebook). kRenorm (the official code's default)
//    multiplies each weight by 1/deg(row) + 1/deg(col), deg = number of stored neighbours of a
//    node (a self-loop counts once), computed in double; the neighbour order stays that of the
//    raw weights, since the official code sorts before renormalising.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "data/seq/sequence_reader.hpp"

namespace rsdist::seq {

enum class WitgNormalization { kNone, kRenorm };

// "none" / "renorm"; anything else throws.
WitgNormalization parse_witg_normalization(std::string_view name);
std::string_view witg_normalization_name(WitgNormalization normalization);

// Row r's neighbours are columns[row_offsets[r] .. row_offsets[r+1]) with the same-index weights.
struct WeightedGraph {
  std::int64_t num_nodes = 0;
  std::vector<std::int64_t> row_offsets{0};
  std::vector<std::int32_t> columns;
  std::vector<float> weights;

  std::int64_t num_edges() const { return static_cast<std::int64_t>(columns.size()); }
};

struct WitgOptions {
  WitgNormalization normalization = WitgNormalization::kNone;
  int max_window = 3;  // the paper's k = 1, 2, 3
  // 0: max item of the sequences + 1 (the reference). Larger values add isolated nodes, e.g. to
  // cover every item of the full corpus; smaller than max item + 1 is an error.
  std::int64_t num_nodes = 0;
};

WeightedGraph build_witg(const SequenceCorpus& train_sequences, const WitgOptions& options = {});

}  // namespace rsdist::seq
