// The sharded item table against the replicated one, as checks that take a rank and its
// communicator: run on threads as ranks (item_sharding_test.cpp) and on MPI ranks under mpirun
// (item_sharding_mpi_ranks.cpp). Each compares, on every rank, the loss, the gradients (the
// replicated table's after the reducer's average), the parameters after an Adam step, and the best
// items and ranks over every shard.
#pragma once

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ddp/item_sharding.hpp"

namespace rsdist::ddp::sharding_checks {

inline constexpr std::int64_t kItems = 23, kDim = 8;

inline at::Generator seeded(std::uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  return g;
}

// The logical table every rank can build (the replicated model's).
inline at::Tensor logical_table() { return at::randn({kItems, kDim}, seeded(7)) * 0.5; }

// Rank r's examples: an uneven number per rank (5, 4, 6, ...).
struct Examples {
  at::Tensor hidden, targets, ids;
};
inline Examples examples_of(int rank) {
  const std::int64_t rows = 5 + (rank % 3 == 1 ? -1 : rank % 3);
  auto g = seeded(100 + static_cast<std::uint64_t>(rank));
  // Item 0 (padding, no gradient) in every rank's windows.
  at::Tensor ids = at::randint(kItems, {rows, 3}, g, at::kLong);
  ids[0][2] = 0;
  return {at::randn({rows, kDim}, g), at::randint(kItems, {rows}, g, at::kLong), ids};
}

inline void expect_close(const at::Tensor& actual, const at::Tensor& expected, const char* what) {
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  const double diff = (actual - expected).abs().max().item<double>();
  EXPECT_LT(diff, 1e-5) << what << ": max difference " << diff;
}

// 0.7 CE + 0.3 <rows, weights>: a loss through both sharded operations, with upstream gradients
// other than 1.
inline at::Tensor lookup_weights(const at::Tensor& ids) {
  return at::arange(ids.numel() * kDim, at::kFloat).reshape({ids.size(0), ids.size(1), kDim}).cos();
}

inline void loss_gradients_and_adam_step_match_the_replicated_table(int rank, Communicator& comm) {
  const Examples ex = examples_of(rank);
  const at::Tensor table = logical_table();

  // Replicated: every rank the whole table, its gradient averaged as the reducer does.
  at::Tensor full = table.clone().requires_grad_(true);
  at::Tensor hidden_a = ex.hidden.clone().requires_grad_(true);
  const at::Tensor loss_a =
      0.7 * at::cross_entropy_loss(at::matmul(hidden_a, full.t()), ex.targets) +
      0.3 * (at::embedding(full, ex.ids, /*padding_idx=*/0) * lookup_weights(ex.ids)).sum();
  loss_a.backward();
  at::Tensor averaged = full.grad().clone();
  comm.all_reduce(averaged, ReduceOp::kAverage);
  full.mutable_grad().copy_(averaged);

  // Sharded: this rank's rows only, the logits in blocks of 3 examples (recomputed in backward)
  // and in one block (kept for backward).
  const ItemSharding sharding = item_sharding(comm, kItems);
  at::Tensor shard;
  for (const std::int64_t chunk_rows : {64, 3}) {
    shard = sharding.shard_of(table).requires_grad_(true);
    at::Tensor hidden_b = ex.hidden.clone().requires_grad_(true);
    const at::Tensor loss_b =
        0.7 * vocab_parallel_cross_entropy(comm, sharding, hidden_b, shard, ex.targets, chunk_rows) +
        0.3 * (sharded_rows(comm, sharding, shard, ex.ids, /*padding_idx=*/0) *
               lookup_weights(ex.ids)).sum();
    loss_b.backward();
    SCOPED_TRACE("chunk_rows " + std::to_string(chunk_rows));
    expect_close(loss_b, loss_a, "loss");
    expect_close(hidden_b.grad(), hidden_a.grad(), "hidden gradient");
    expect_close(shard.grad(), sharding.shard_of(averaged), "table gradient");
  }

  // Mult-VAE's multinomial likelihood with a bias, each row several targets.
  {
    at::Tensor w = table.clone().requires_grad_(true);
    at::Tensor bias = at::linspace(-1, 1, kItems, at::kFloat).requires_grad_(true);
    at::Tensor h = ex.hidden.clone().requires_grad_(true);
    const at::Tensor rows = at::arange(ex.ids.size(0), at::kLong).repeat_interleave(3);
    const at::Tensor items = ex.ids.reshape({-1});
    const at::Tensor logits = at::addmm(bias, h, w.t());
    const at::Tensor picked = logits.reshape({-1}).index_select(0, rows * kItems + items);
    const at::Tensor nll_a =
        ((at::logsumexp(logits, 1) * 3).sum() - picked.sum()) / static_cast<double>(h.size(0));
    (0.5 * nll_a).backward();
    at::Tensor w_grad = w.grad().clone(), b_grad = bias.grad().clone();
    comm.all_reduce(w_grad, ReduceOp::kAverage);
    comm.all_reduce(b_grad, ReduceOp::kAverage);
    at::Tensor ws = sharding.shard_of(table).requires_grad_(true);
    at::Tensor bs = sharding.shard_of(bias.detach()).requires_grad_(true);
    at::Tensor hs = ex.hidden.clone().requires_grad_(true);
    const at::Tensor nll_b =
        vocab_parallel_multinomial_nll(comm, sharding, hs, ws, bs, rows, items, 2);
    (0.5 * nll_b).backward();
    expect_close(nll_b, nll_a, "multinomial likelihood");
    expect_close(hs.grad(), h.grad(), "multinomial hidden gradient");
    expect_close(ws.grad(), sharding.shard_of(w_grad), "multinomial table gradient");
    expect_close(bs.grad(), sharding.shard_of(b_grad), "multinomial bias gradient");
  }

  torch::optim::Adam replicated({full}, torch::optim::AdamOptions(0.01));
  torch::optim::Adam sharded({shard}, torch::optim::AdamOptions(0.01));
  replicated.step();
  sharded.step();
  expect_close(shard.detach(), sharding.shard_of(full.detach()), "parameters after Adam");
}

inline void rows_of_the_logical_table_whatever_the_owner(int rank, Communicator& comm) {
  const at::Tensor table = logical_table();
  const ItemSharding sharding = item_sharding(comm, kItems);
  // Rank 1 asks for nothing: the others still get their rows.
  const at::Tensor ids = rank == 1 ? at::zeros({0, 3}, at::kLong) : examples_of(rank).ids;
  const at::Tensor rows = sharded_rows(comm, sharding, sharding.shard_of(table), ids);
  EXPECT_TRUE(rows.equal(at::embedding(table, ids)));
}

// Scores with ties (one decimal) and masked items, the same users on every rank.
inline at::Tensor tied_scores() {
  at::Tensor scores = (at::rand({6, kItems}, seeded(11)) * 4).round() / 4;
  scores.index_put_({0, at::indexing::Slice(0, kItems - 2)}, -INFINITY);  // 2 items left
  scores.index_put_({3, 5}, -INFINITY);
  return scores;
}

// Score descending, then item id ascending; -inf never listed (-1).
inline std::vector<std::int64_t> reference_top(const at::Tensor& row, std::int64_t k) {
  std::vector<std::int64_t> items(static_cast<std::size_t>(kItems));
  for (std::int64_t i = 0; i < kItems; ++i) items[static_cast<std::size_t>(i)] = i;
  std::stable_sort(items.begin(), items.end(), [&](std::int64_t a, std::int64_t b) {
    return row[a].item<float>() > row[b].item<float>();
  });
  std::vector<std::int64_t> top;
  for (std::int64_t i = 0; i < k; ++i) {
    const std::int64_t item = items[static_cast<std::size_t>(i)];
    top.push_back(std::isinf(row[item].item<float>()) ? -1 : item);
  }
  return top;
}

inline void merged_top_k_is_the_full_rankings_top_k(int /*rank*/, Communicator& comm) {
  const at::Tensor scores = tied_scores();
  const ItemSharding sharding = item_sharding(comm, kItems);
  const at::Tensor mine = scores.slice(1, sharding.rank, kItems, sharding.world);
  const ShardTopK merged = merge_sharded_topk(comm, shard_top_k(sharding, mine, 5));
  for (std::int64_t u = 0; u < scores.size(0); ++u) {
    const std::vector<std::int64_t> expected = reference_top(scores[u], 5);
    for (std::int64_t j = 0; j < 5; ++j) {
      EXPECT_EQ(merged.items[u][j].item<std::int64_t>(), expected[static_cast<std::size_t>(j)])
          << "user " << u << " place " << j;
    }
  }
}

inline void items_ahead_of_a_target_count_every_shard(int /*rank*/, Communicator& comm) {
  const at::Tensor scores = tied_scores();
  const at::Tensor targets = at::tensor({21, 4, 7, 5, 0, 22}, at::kLong);
  const ItemSharding sharding = item_sharding(comm, kItems);
  const at::Tensor ahead = sharded_items_ahead(
      comm, sharding, scores.slice(1, sharding.rank, kItems, sharding.world), targets);
  for (std::int64_t u = 0; u < scores.size(0); ++u) {
    const std::int64_t target = targets[u].item<std::int64_t>();
    const float t = scores[u][target].item<float>();
    std::int64_t expected = 0;
    for (std::int64_t i = 0; i < kItems; ++i) {
      const float s = scores[u][i].item<float>();
      if (!std::isinf(s) && (s > t || (s == t && i < target))) ++expected;
    }
    EXPECT_EQ(ahead[u].item<std::int64_t>(), expected) << "user " << u;
  }
}

}  // namespace rsdist::ddp::sharding_checks
