// A small GCL4SR setting shared by the model tests: a WITG built from random sequences, a batch
// of prefixes (padding, a prefix longer than L) and two sampled graph views.
#pragma once

#include <cstdint>

#include "data/seq/neighbor_sampler.hpp"
#include "data/seq/witg.hpp"
#include "models/gcl4sr_model.hpp"
#include "models/seq_batch.hpp"

namespace rsdist::models::testing {

struct Gcl4srToy {
  seq::WeightedGraph graph;
  SeqBatch batch;
  seq::NeighborSample samples[2];  // the full (possibly multi-hop) draws behind batch.views
  Gcl4srOptions options;
};

// `hops` sampled per view (the model reads the innermost); sizes 3 per hop.
Gcl4srToy make_gcl4sr_toy(int hops, std::uint64_t seed);

// The one-block view of a sample: the innermost block, nodes = the frontier it reads.
GraphView innermost_view(const seq::NeighborSample& sample, const seq::WeightedGraph& graph);

}  // namespace rsdist::models::testing
