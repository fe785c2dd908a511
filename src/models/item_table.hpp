// How a model reaches its item embedding table: the rows of a batch's items and the full-softmax
// loss against every item. Replicated (every rank the whole table: at::embedding and a plain
// cross-entropy) or row-sharded across ranks (train/sharded_item_table.hpp over
// ddp/item_sharding.hpp, Note [Cyclic item sharding]: the model's weight then holds rows r, r + N,
// ... of the logical table), chosen by --shard_items; the model's code is the same for both.
#pragma once

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>

#include "ddp/item_sharding.hpp"

namespace rsdist::models {

class ItemTable {
 public:
  virtual ~ItemTable() = default;

  // This rank's position in the sharding: it holds the logical rows i with i % world == rank.
  virtual int rank() const { return 0; }
  virtual int world() const { return 1; }
  std::int64_t local_rows(std::int64_t num_items) const {
    return ddp::ItemSharding{num_items, rank(), world()}.local_rows();
  }
  // Whether the model's weights hold this rank's rows only (also on one rank, where they are all).
  virtual bool sharded() const { return false; }

  // weight[ids] for the logical table whose local rows `weight` holds; item `padding_idx` (>= 0)
  // gets no gradient. [*ids.shape, D].
  virtual at::Tensor rows(const at::Tensor& weight, const at::Tensor& ids,
                          std::int64_t padding_idx) = 0;
  // Mean over this rank's examples of -log softmax(hidden W^T)[target], W the logical table.
  virtual at::Tensor cross_entropy(const at::Tensor& hidden, const at::Tensor& weight,
                                   const at::Tensor& targets) = 0;
  // (1 / B) sum over this rank's B rows u of -sum over u's targets i of log softmax(hidden W^T +
  // bias)_ui, the targets as pairs (target_rows [P] in [0, B), target_items [P]): Mult-VAE's
  // multinomial likelihood.
  virtual at::Tensor multinomial_nll(const at::Tensor& hidden, const at::Tensor& weight,
                                     const at::Tensor& bias, const at::Tensor& target_rows,
                                     const at::Tensor& target_items) = 0;
};

// The whole table on every rank.
std::shared_ptr<ItemTable> replicated_item_table();

// Initialises `rows` [local_rows, D], this rank's rows of a logical [num_items, D] table: `draw`
// fills blocks of the logical table in row order (from the caller's generator: uniform_, normal_),
// and this rank keeps its rows, so that every sharding of the table starts from the values a
// replicated one gets from the same generator, whose state afterwards is the same too. Only a
// block of rows is ever held whole. Replicated, `draw` fills `rows` at once.
void draw_table_rows_(at::Tensor rows, std::int64_t num_items, const ItemTable& table,
                      const std::function<void(at::Tensor)>& draw);

}  // namespace rsdist::models
