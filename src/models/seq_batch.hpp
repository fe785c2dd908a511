// What GCL4SR reads: a batch of sequence-prefix examples and, for each of its two graph views, one
// sampled neighbourhood of every item position of the batch. The loader
// (src/loader/seq/seq_batcher.hpp) builds it on the host from the sequence corpus and the neighbour
// sampler; the model (src/models/gcl4sr_model.hpp) consumes it.
//
// Note [The one block GCL4SR uses]: the reference samples two hops ([20, 20]) per view, but its
// graph encoder resets its input to the raw sampled-node embeddings before every layer and keeps
// only the last layer's output, which reads the innermost block (edges into the batch's item
// positions) alone. The outer hop's block and the first SAGE layer never reach the output, so a
// view here is that innermost block: the batch's positions (targets, duplicates and padding
// included, first) and their sampled neighbours. tests/models/gcl4sr_parity_test.cpp checks that
// the reference's two-hop computation equals this one-block computation on the same draw.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <array>

namespace rsdist::models {

// One sampled neighbourhood of the B*L item positions of a batch (one PyG bipartite block).
struct GraphView {
  at::Tensor nodes;        // [Ns] int64 item ids; rows [0, B*L) are the positions in row-major
                           // order of `inputs`, then every sampled neighbour not among them
  at::Tensor edge_index;   // [2, E] int64: row 0 local source (row of `nodes`), row 1 local target
                           // (a position, in [0, B*L))
  at::Tensor edge_weight;  // [E] float32, the WITG weight of each sampled edge
};

struct SeqBatch {
  at::Tensor users;    // [B] int64 user index (the corpus row of the user)
  at::Tensor inputs;   // [B, L] int64 item ids, the prefix's last L items, left-padded with 0
  at::Tensor targets;  // [B] int64 the item to predict
  std::array<GraphView, 2> views;

  std::int64_t size() const { return inputs.size(0); }

  // Every tensor moved to `device` (non_blocking when the host tensors are pinned).
  SeqBatch to(c10::Device device, bool non_blocking = false) const {
    SeqBatch out;
    out.users = users.to(device, non_blocking);
    out.inputs = inputs.to(device, non_blocking);
    out.targets = targets.to(device, non_blocking);
    for (std::size_t v = 0; v < views.size(); ++v) {
      out.views[v].nodes = views[v].nodes.to(device, non_blocking);
      out.views[v].edge_index = views[v].edge_index.to(device, non_blocking);
      out.views[v].edge_weight = views[v].edge_weight.to(device, non_blocking);
    }
    return out;
  }
};

}  // namespace rsdist::models
