#include "data/seq/neighbor_sampler.hpp"

#include <algorithm>
#include <thread>
#include <tuple>
#include <utility>

#include "core/error.hpp"

// Note [Sampling semantics]
// The reference is torch_sparse's sample_adj_cpu as called by PyG NeighborSampler.sample: for
// each hop, `adj_t.sample_adj(n_id, size, replace=False)`, then edge_index = stack([col, row]),
// e_id = the stored edge ids, size = sparse_sizes()[::-1]; adjs are returned reversed. What this
// file reproduces exactly:
//  * n_id starts as the targets as given (duplicates kept, so the model can read its outputs back
//    per target position); a neighbour not yet in n_id is appended. A neighbour already present
//    maps to its local index, and for a node listed several times among the targets that is its
//    *last* position (sample_adj builds its map with n_id_map[idx[n]] = n, later n overwriting).
//  * Every target position samples on its own, duplicated targets included.
//  * Degree <= k (or k = -1) takes every neighbour; otherwise k distinct positions of the row by
//    Robert Floyd's algorithm. Edges of a target are sorted by local source index.
// Deliberate deviations, both in the order or law of the draw, never in the structure:
//  * torch_sparse draws Floyd's candidate as rand() % j (newer: randint(0, j)), i.e. from [0, j)
//    instead of [0, j]; that is not uniform (degree 5, k = 2: positions 0-2 are kept with
//    probability 1/2, positions 3-4 with 1/4, and with k = 1 the last position never). We draw
//    from [0, j], which gives every k-subset the same probability.
//  * torch_sparse appends a target's new neighbours in std::unordered_set iteration order (a
//    hash-table detail); we append them in CSR order (WITG rows are by weight, descending).
// Neighbour set and e_id: PyG samples the transposed adjacency, i.e. for target t the sources c
// of edges c -> t, and e_id is the id of edge c -> t. We sample row t of the CSR (edges t -> c)
// and return e_id = the position of t -> c. The WITG is symmetric with bit-identical weights in
// both directions (witg.hpp adds every increment to w(a, b) and w(b, a)), so the sampled sets
// and the weights fetched through e_id are the same; for an asymmetric graph pass its transpose.

namespace rsdist::seq {
namespace {

// Below this many targets per thread, starting a thread costs more than it saves.
constexpr std::int64_t kMinTargetsPerThread = 512;

// Runs fn(begin, end) over [0, count) in contiguous chunks, on the calling thread plus up to
// num_threads - 1 others. Callers make fn's result independent of the chunking.
template <class Fn>
void parallel_chunks(std::int64_t count, int num_threads, const Fn& fn) {
  const std::int64_t max_useful = std::max<std::int64_t>(1, count / kMinTargetsPerThread);
  const auto threads = static_cast<std::int64_t>(std::min<std::int64_t>(num_threads, max_useful));
  if (threads <= 1) {
    fn(std::int64_t{0}, count);
    return;
  }
  const std::int64_t chunk = (count + threads - 1) / threads;
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads - 1));
  for (std::int64_t t = 1; t < threads; ++t) {
    const std::int64_t begin = std::min(count, t * chunk);
    const std::int64_t end = std::min(count, begin + chunk);
    workers.emplace_back([&fn, begin, end] { fn(begin, end); });
  }
  fn(std::int64_t{0}, std::min(count, chunk));
  for (auto& worker : workers) worker.join();
}

// k distinct positions of [0, degree), each k-subset equally likely (Robert Floyd's algorithm),
// written ascending to out[0..k); k < degree. Kept sorted by insertion: j exceeds every value
// drawn so far, so a collision appends it. The slot is found by a branch-free count, which beats
// a binary search at GCL4SR's k = 20.
void floyd_sample(std::int64_t degree, std::int64_t k, Rng& rng, std::int64_t* out) {
  std::int64_t filled = 0;
  for (std::int64_t j = degree - k; j < degree; ++j) {
    const auto candidate =
        static_cast<std::int64_t>(rng.uniform_below(static_cast<std::uint64_t>(j) + 1));
    std::int64_t slot = 0;
    for (std::int64_t m = 0; m < filled; ++m) slot += out[m] < candidate ? 1 : 0;
    if (slot < filled && out[slot] == candidate) {
      out[filled] = j;
    } else {
      std::move_backward(out + slot, out + filled, out + filled + 1);
      out[slot] = candidate;
    }
    ++filled;
  }
}

struct HopPicks {
  std::vector<std::int64_t> offsets;  // per target, into edges; size targets + 1
  std::vector<std::int64_t> edges;    // chosen CSR positions, ascending within a target
  std::vector<std::int32_t> nodes;    // graph.columns[edges], gathered in the parallel pass
};

// Chooses the neighbours of every target of one hop. Target i's draw comes from the stream
// (key, hop, i) alone, which is what makes the result independent of the thread count.
HopPicks pick_neighbors(const WeightedGraph& graph, const std::vector<std::int64_t>& targets, int k,
                        std::uint64_t key, std::uint64_t hop, int num_threads) {
  const auto num_targets = static_cast<std::int64_t>(targets.size());
  HopPicks picks;
  picks.offsets.resize(targets.size() + 1);
  picks.offsets[0] = 0;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto node = static_cast<std::size_t>(targets[i]);
    const std::int64_t degree = graph.row_offsets[node + 1] - graph.row_offsets[node];
    picks.offsets[i + 1] = picks.offsets[i] + (k < 0 ? degree : std::min<std::int64_t>(degree, k));
  }
  picks.edges.resize(static_cast<std::size_t>(picks.offsets.back()));
  picks.nodes.resize(picks.edges.size());
  parallel_chunks(num_targets, num_threads, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const auto node = static_cast<std::size_t>(targets[static_cast<std::size_t>(i)]);
      const std::int64_t row_start = graph.row_offsets[node];
      const std::int64_t degree = graph.row_offsets[node + 1] - row_start;
      const auto first = static_cast<std::size_t>(picks.offsets[static_cast<std::size_t>(i)]);
      const auto count = static_cast<std::int64_t>(picks.offsets[static_cast<std::size_t>(i) + 1]) -
                         static_cast<std::int64_t>(first);
      std::int64_t* out = picks.edges.data() + first;
      if (count == degree) {
        for (std::int64_t j = 0; j < degree; ++j) out[j] = j;
      } else {
        Rng target_rng = Rng::stream(key, {hop, static_cast<std::uint64_t>(i)});
        floyd_sample(degree, count, target_rng, out);
      }
      for (std::int64_t j = 0; j < count; ++j) {
        out[j] += row_start;
        picks.nodes[first + static_cast<std::size_t>(j)] =
            graph.columns[static_cast<std::size_t>(out[j])];
      }
    }
  });
  return picks;
}

// Sorts one target's edges by local source (distinct within a target: a row repeats no column).
// Insertion sort suits k = 20; rows taken whole (k = -1) can be long, hence the fallback.
void sort_by_source(std::int64_t* sources, std::int64_t* e_ids, std::size_t count,
                    std::vector<std::pair<std::int64_t, std::int64_t>>& scratch) {
  if (count > 64) {
    scratch.clear();
    for (std::size_t e = 0; e < count; ++e) scratch.emplace_back(sources[e], e_ids[e]);
    std::sort(scratch.begin(), scratch.end());
    for (std::size_t e = 0; e < count; ++e) std::tie(sources[e], e_ids[e]) = scratch[e];
    return;
  }
  for (std::size_t e = 1; e < count; ++e) {
    const std::int64_t source = sources[e];
    const std::int64_t e_id = e_ids[e];
    std::size_t slot = e;
    for (; slot > 0 && sources[slot - 1] > source; --slot) {
      sources[slot] = sources[slot - 1];
      e_ids[slot] = e_ids[slot - 1];
    }
    sources[slot] = source;
    e_ids[slot] = e_id;
  }
}

// Maps each pick's node to its local index, appending new nodes to n_id (sequential: the order
// of first appearance is defined by the target order), then writes the block.
BipartiteBlock build_block(const HopPicks& picks, std::int64_t num_targets,
                           std::vector<std::int64_t>& local_of, std::vector<std::int64_t>& n_id,
                           int num_threads) {
  const std::size_t num_edges = picks.edges.size();
  BipartiteBlock block;
  block.edge_index.resize(2 * num_edges);
  block.e_id = picks.edges;
  std::int64_t* sources = block.edge_index.data();
  std::int64_t* targets = block.edge_index.data() + num_edges;
  for (std::size_t e = 0; e < num_edges; ++e) {
    const auto node = static_cast<std::size_t>(picks.nodes[e]);
    if (local_of[node] < 0) {
      local_of[node] = static_cast<std::int64_t>(n_id.size());
      n_id.push_back(static_cast<std::int64_t>(node));
    }
    sources[e] = local_of[node];
  }
  block.num_sources = static_cast<std::int64_t>(n_id.size());
  block.num_targets = num_targets;

  parallel_chunks(num_targets, num_threads, [&](std::int64_t begin, std::int64_t end) {
    std::vector<std::pair<std::int64_t, std::int64_t>> scratch;
    for (std::int64_t i = begin; i < end; ++i) {
      const auto first = static_cast<std::size_t>(picks.offsets[static_cast<std::size_t>(i)]);
      const auto last = static_cast<std::size_t>(picks.offsets[static_cast<std::size_t>(i) + 1]);
      sort_by_source(sources + first, block.e_id.data() + first, last - first, scratch);
      std::fill(targets + first, targets + last, i);
    }
  });
  return block;
}

void check_inputs(const WeightedGraph& graph, std::span<const std::int64_t> targets,
                  const NeighborSamplerOptions& options) {
  RSDIST_CHECK(static_cast<std::int64_t>(graph.row_offsets.size()) == graph.num_nodes + 1,
               "neighbour sampler: graph has {} row offsets for {} nodes; expected num_nodes + 1",
               graph.row_offsets.size(), graph.num_nodes);
  RSDIST_CHECK(!options.sample_sizes.empty(), "neighbour sampler: sample_sizes is empty");
  for (const int k : options.sample_sizes) {
    RSDIST_CHECK(k >= -1, "neighbour sampler: sample size {} is invalid; use k >= 0, or -1 for all",
                 k);
  }
  RSDIST_CHECK(options.num_threads >= 1, "neighbour sampler: num_threads is {}; it must be >= 1",
               options.num_threads);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    RSDIST_CHECK(targets[i] >= 0 && targets[i] < graph.num_nodes,
                 "neighbour sampler: target {} at position {} is outside the graph's {} nodes",
                 targets[i], i, graph.num_nodes);
  }
}

}  // namespace

NeighborSample sample_neighbors(const WeightedGraph& graph, std::span<const std::int64_t> targets,
                                const NeighborSamplerOptions& options, Rng& rng) {
  check_inputs(graph, targets, options);
  const std::uint64_t key = rng.next_u64();

  NeighborSample sample;
  sample.batch_size = static_cast<std::int64_t>(targets.size());
  sample.n_id.assign(targets.begin(), targets.end());
  // One map for all hops: PyG rebuilds it from each hop's input n_id, which is the previous
  // hop's n_id, so extending it gives the same entries (last occurrence among the targets wins).
  std::vector<std::int64_t> local_of(static_cast<std::size_t>(graph.num_nodes), -1);
  for (std::size_t i = 0; i < sample.n_id.size(); ++i) {
    local_of[static_cast<std::size_t>(sample.n_id[i])] = static_cast<std::int64_t>(i);
  }

  for (std::size_t hop = 0; hop < options.sample_sizes.size(); ++hop) {
    const std::vector<std::int64_t> hop_targets = sample.n_id;
    const HopPicks picks = pick_neighbors(graph, hop_targets, options.sample_sizes[hop], key, hop,
                                          options.num_threads);
    sample.blocks.push_back(build_block(picks, static_cast<std::int64_t>(hop_targets.size()),
                                        local_of, sample.n_id, options.num_threads));
  }
  std::reverse(sample.blocks.begin(), sample.blocks.end());
  return sample;
}

}  // namespace rsdist::seq
