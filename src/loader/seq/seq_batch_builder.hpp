// One GCL4SR training batch on the host: prefix examples of a sequence corpus cut to the model's
// window, and the two sampled graph views of their item positions (models/seq_batch.hpp).
//
// For examples `ids` (indices into `examples`, built from `corpus.sequences`), with L =
// max_seq_length and B = ids.size():
//   users[i]   = examples.rows[ids[i]]
//   inputs[i]  = example_window(corpus.sequences, examples, ids[i], L), left-padded with 0 to L
//   targets[i] = examples.targets[ids[i]]
//   views[v], v = 0 then 1: seq::sample_neighbors over corpus.graph with the B*L positions of
//     `inputs` in row-major order as targets (padding 0 included) and one hop of `sample_size`,
//     two calls on the same rng in that order (Note [The one block GCL4SR uses] in
//     models/seq_batch.hpp); nodes = n_id, edge_index = the block's [2, E] edge_index,
//     edge_weight[e] = corpus.graph.weights[e_id[e]].
// The batch is a pure function of (corpus, examples, ids, options, the rng's state); the sampler's
// thread count does not change it. Node 0 (padding) has no edges in a WITG, so padded positions get
// none.
//
// Tensors are filled through raw pointers, and the sampler's vectors become tensors without a copy
// (unless pinned): at B = 1024, L = 50 a view has 51,200 targets, and the loader must stay far
// below the cost of a training step.
#pragma once

#include <cstdint>
#include <span>

#include "core/rng.hpp"
#include "data/seq/seq_corpus.hpp"
#include "models/seq_batch.hpp"

namespace rsdist::loader {

struct SeqBatchOptions {
  std::int64_t max_seq_length = 50;  // L
  int sample_size = 20;              // neighbours per item position (one hop; -1 = all)
  int sampler_threads = 1;           // seq::NeighborSamplerOptions::num_threads
  // Page-locked host tensors, for non_blocking copies to a CUDA device. Ignored (plain host memory)
  // when this process has no CUDA, so CPU builds and machines never fail on it.
  bool pin_memory = false;
};

// The batch of examples `ids` as described above. Throws rsdist::Error on an empty `ids`, an id
// outside `examples`, an example whose row is outside the corpus, a graph without node 0, or an
// item outside the graph (from the sampler). `sample_seconds`, when given, receives the time spent
// inside seq::sample_neighbors (both views), so that callers can report it apart from assembly.
models::SeqBatch build_seq_batch(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
                                 std::span<const std::int64_t> ids, const SeqBatchOptions& options,
                                 Rng& rng, double* sample_seconds = nullptr);

}  // namespace rsdist::loader
