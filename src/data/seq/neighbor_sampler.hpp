// Multi-hop neighbour sampling over a WeightedGraph, as PyG NeighborSampler (the legacy
// torch_geometric.loader.NeighborSampler that GCL4SR calls once per graph view, with
// node_idx = the batch's flattened item sequences, duplicates and padding included, as one batch).
//
// Semantics reproduced (see Note [Sampling semantics] in neighbor_sampler.cpp for the details and
// the two deliberate deviations):
//  * Hop h samples, for each of its targets t, min(k_h, degree(t)) distinct neighbours uniformly
//    without replacement (all of them when degree <= k_h). The neighbours of t are the columns of
//    CSR row t. PyG samples the *transposed* adjacency (flow source_to_target: the sources c of
//    edges c -> t); the WITG is symmetric (same edge set, bit-identical weights), so both sets
//    agree.
//  * The frontier after hop h is n_id: the hop's targets unchanged in their positions (duplicates
//    kept), then every sampled node not yet present, in order of first appearance. It is the next
//    hop's target list, so each hop's n_id is a prefix of the next one's.
//  * Each hop gives a bipartite block: edge_index row 0 = local source (index into that hop's
//    n_id), row 1 = target index; edges grouped by target ascending and, within a target, by
//    local source ascending; size = (num_sources, num_targets) = (|n_id|, |targets|).
//  * blocks are ordered from the outermost hop to the innermost (PyG's adjs[::-1]); n_id is the
//    outermost frontier. Unlike PyG, a single hop still gives a list of one block.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.hpp"
#include "data/seq/witg.hpp"

namespace rsdist::seq {

struct BipartiteBlock {
  // 2 x num_edges, row-major (row 0 = sources, row 1 = targets), int64 as PyG's edge_index, so
  // that a model can wrap it as a [2, E] tensor without copying.
  std::vector<std::int64_t> edge_index;
  // Per edge, its position in the graph's CSR (columns/weights), i.e. the edge target -> source of
  // row `target`; the model fetches edge weights as graph.weights[e_id].
  std::vector<std::int64_t> e_id;
  std::int64_t num_sources = 0;  // size[0]
  std::int64_t num_targets = 0;  // size[1]

  std::int64_t num_edges() const { return static_cast<std::int64_t>(e_id.size()); }
  std::span<const std::int64_t> sources() const { return {edge_index.data(), e_id.size()}; }
  std::span<const std::int64_t> targets() const {
    return {edge_index.data() + e_id.size(), e_id.size()};
  }
};

struct NeighborSample {
  std::int64_t batch_size = 0;         // number of targets given, duplicates included
  std::vector<std::int64_t> n_id;      // outermost frontier: targets first, global node ids
  std::vector<BipartiteBlock> blocks;  // outermost hop first
};

struct NeighborSamplerOptions {
  // Neighbours per target for hop 1, 2, ... (GCL4SR's sample_size); -1 takes all neighbours.
  std::vector<int> sample_sizes{20, 20};
  // Threads sampling the targets of a hop. The result does not depend on it.
  int num_threads = 1;
};

// Samples around `targets` (node ids in [0, graph.num_nodes)). Draws exactly one value from `rng`
// (the call's stream, e.g. Rng::stream(seed, {epoch, step, rank, view})) and derives from it one
// stream per (hop, target position), so the result is a pure function of that value, the graph,
// the targets and the sizes, whatever num_threads is; a second call on the same rng (GCL4SR's
// second view) samples independently.
NeighborSample sample_neighbors(const WeightedGraph& graph, std::span<const std::int64_t> targets,
                                const NeighborSamplerOptions& options, Rng& rng);

}  // namespace rsdist::seq
