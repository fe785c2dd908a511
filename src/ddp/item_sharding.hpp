// An item table too large for one rank, its rows spread over the ranks, and the three operations a
// recommender needs of it without ever holding the whole table or the whole logit matrix on one
// rank: the rows of a batch's items (sharded_rows), the full-softmax cross-entropy against every
// item (vocab_parallel_cross_entropy), and the best items of a user over every shard
// (merge_sharded_topk, sharded_items_ahead).
//
// Note [Cyclic item sharding]: rank r of N owns items r, r + N, r + 2N, ...: its local row j is
// item j * N + r. Chosen over contiguous ranges because corpora number items by first appearance
// or popularity, so a range would put the catalog's head (most lookups, most gradient rows) on rank
// 0; cyclic rows spread the head over every rank, and rank r's rows of the logical table are
// table.slice(0, r, V, N): a checkpoint stays one logical tensor that any other N re-slices. The
// local order of a shard is the global order of its items, so ties broken by ascending local index
// are ties broken by ascending item id.
//
// Note [Sharded gradients are world means]: a replicated table's gradient, after the reducer's
// average, is (1 / N) sum_r dL_r / dW, L_r each rank's own loss. The sharded operations give each
// owner exactly that for its rows (the contributions of every rank's examples, divided by N), so
// the optimizer steps a shard as it would the replicated rows, and a sharded table must never go
// through the reducer. What flows back to the caller's dense inputs (hidden states) is its own
// dL_r / dh, as without sharding: the reducer averages the dense parameters as before.
//
// Every rank must call these operations (and their backward passes) in the same order (Note
// [Collective order]); ranks may bring different numbers of examples.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

struct ItemSharding {
  std::int64_t num_items = 0;  // rows of the logical table
  int rank = 0;
  int world = 1;

  int owner(std::int64_t item) const { return static_cast<int>(item % world); }
  std::int64_t local_index(std::int64_t item) const { return item / world; }
  // Rows rank `r` owns: the items i < num_items with i % world == r.
  std::int64_t rows_of(int r) const { return (num_items - r + world - 1) / world; }
  std::int64_t local_rows() const { return rows_of(rank); }
  // This rank's rows of `table` [num_items, ...] (a copy, contiguous).
  at::Tensor shard_of(const at::Tensor& table) const;
  // The global item ids of this rank's rows, int64 [local_rows] on `device`.
  at::Tensor item_ids(at::Device device) const;
};

// The sharding of `num_items` rows over `comm`'s ranks.
ItemSharding item_sharding(const Communicator& comm, std::int64_t num_items);

// rows[...] = table[ids[...]] for the logical table whose rows `shard` [local_rows, D] this rank
// holds: each rank asks the owners for the distinct items of its `ids` (any shape, int64, in
// [0, num_items)) in one all-to-all and gets them in a second; backward sends the summed
// gradient of each row back to its owner the same way (Note [Sharded gradients are world
// means]); the row of item `padding_idx` (>= 0) gets no gradient, as at::embedding's padding_idx.
// Returns [*ids.shape, D] with the graph to `shard`.
at::Tensor sharded_rows(Communicator& comm, const ItemSharding& sharding, const at::Tensor& shard,
                        const at::Tensor& ids, std::int64_t padding_idx = -1);

// mean over this rank's B examples of -log softmax(hidden W^T)[target], W the logical table whose
// rows `shard` holds; `hidden` [B, D] this rank's examples, `targets` int64 [B] in
// [0, num_items). Each rank scores every rank's examples (gathered) against its own rows only, in
// chunks of `chunk_rows` examples, so at most [chunk_rows, local_rows] logits exist at a time; the
// max, the sum of exponentials and the target's logit travel as [3, sum B] per rank, and backward
// recomputes each chunk's logits (a single chunk is kept from forward instead). Gradients: hidden gets its own dL_r / dh (one all-reduce of [sum B, D]),
// `shard` its world mean (Note [Sharded gradients are world means]).
at::Tensor vocab_parallel_cross_entropy(Communicator& comm, const ItemSharding& sharding,
                                        const at::Tensor& hidden, const at::Tensor& shard,
                                        const at::Tensor& targets, std::int64_t chunk_rows);

// Mult-VAE's multinomial negative log-likelihood over the same logical table with a bias:
// (1 / B) sum over this rank's rows u of (n_u lse_u - sum over u's targets i of logit_ui),
// logits = hidden W^T + bias, the targets given as pairs (target_rows [P] in [0, B),
// target_items [P]), n_u the row's count; computed as vocab_parallel_cross_entropy (which is its
// case of one target per row), the bias sharded with the rows.
at::Tensor vocab_parallel_multinomial_nll(Communicator& comm, const ItemSharding& sharding,
                                          const at::Tensor& hidden, const at::Tensor& shard,
                                          const at::Tensor& bias, const at::Tensor& target_rows,
                                          const at::Tensor& target_items,
                                          std::int64_t chunk_rows);

// Scores of a shard's best items, for merging: values [B, k] (-inf for an empty place) and global
// item ids int64 [B, k].
struct ShardTopK {
  at::Tensor values, items;
};

// This rank's best k items per row of `scores` [B, local_rows] (masked items already -inf),
// score descending then item id ascending.
ShardTopK shard_top_k(const ItemSharding& sharding, const at::Tensor& scores, std::int64_t k);

// Every rank brings its shard's best k for the same B users; every rank gets the best k over all
// shards in the same deterministic order (score descending, item id ascending; -inf places last,
// their ids -1). One all-gather of [B, k] values and ids.
ShardTopK merge_sharded_topk(Communicator& comm, const ShardTopK& local);

// For the exact rank of a held-out item: per user, the number of items of every shard that are not
// masked (-inf) and are ordered before `target_items` [B] (a higher score, or an equal one and a
// smaller id), the target's own score coming from its owner. `scores` [B, local_rows] as for
// shard_top_k. Returns int64 [B], the same on every rank (two all-reduces of [B]).
at::Tensor sharded_items_ahead(Communicator& comm, const ItemSharding& sharding,
                               const at::Tensor& scores, const at::Tensor& target_items);

}  // namespace rsdist::ddp
