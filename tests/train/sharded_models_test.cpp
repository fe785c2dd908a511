// The models with their item tables row-sharded (--shard_items) against the replicated models on
// 1, 2 and 3 thread ranks, each rank with its own batch: the same initial rows, losses, gradients
// (the replicated ones averaged over ranks, as the reducer does) and parameters after an Adam
// step. GCL4SR (item embeddings, full softmax) and Mult-VAE (item-sized input and output layers,
// multinomial likelihood).
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ddp/item_sharding.hpp"
#include "ddp/thread_ranks.hpp"
#include "models/gcl4sr_model.hpp"
#include "models/gcl4sr_test_data.hpp"
#include "models/multvae_model.hpp"
#include "train/sharded_item_table.hpp"

namespace rsdist::train {
namespace {

void expect_close(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const double diff = (a - b).abs().max().item<double>();
  EXPECT_LT(diff, 1e-5) << what << ": max difference " << diff;
}

// Averages the replicated parameters' gradients over the ranks (the reducer's job) in both
// models, compares them (a sharded parameter's own gradient is already the world mean), then
// steps Adam on both and compares the parameters.
void expect_same_step(torch::nn::Module& replicated, torch::nn::Module& sharded,
                      const std::vector<std::string>& sharded_names,
                      const ddp::ItemSharding& sharding, ddp::Communicator& comm) {
  const auto is_sharded = [&](const std::string& name) {
    return std::find(sharded_names.begin(), sharded_names.end(), name) != sharded_names.end();
  };
  const auto named_a = replicated.named_parameters();
  const auto named_b = sharded.named_parameters();
  for (const auto& item : named_a) {
    at::Tensor ga = item.value().grad().clone();
    comm.all_reduce(ga, ddp::ReduceOp::kAverage);
    item.value().mutable_grad().copy_(ga);
    at::Tensor b = named_b[item.key()];
    if (is_sharded(item.key())) {
      ga = sharding.shard_of(ga);
    } else {
      at::Tensor gb = b.grad().clone();
      comm.all_reduce(gb, ddp::ReduceOp::kAverage);
      b.mutable_grad().copy_(gb);
    }
    expect_close(b.grad(), ga, "gradient of " + item.key());
  }
  // lr 1e-3: Adam's first step is lr g / (|g| + eps), so where a gradient is float noise (the
  // attention key bias's) the two may differ by a fraction of lr.
  torch::optim::Adam adam_a(replicated.parameters(), torch::optim::AdamOptions(1e-3));
  torch::optim::Adam adam_b(sharded.parameters(), torch::optim::AdamOptions(1e-3));
  adam_a.step();
  adam_b.step();
  for (const auto& item : named_a) {
    const at::Tensor expected = is_sharded(item.key()) ? sharding.shard_of(item.value().detach())
                                                       : item.value().detach();
    expect_close(named_b[item.key()].detach(), expected, "after Adam: " + item.key());
  }
}

class ShardedModels : public ::testing::TestWithParam<int> {};

TEST_P(ShardedModels, Gcl4srLossesGradientsAndAdamStepMatchTheReplicatedModel) {
  rsdist::testing::run_ranks(GetParam(), [](int rank, ddp::Communicator& comm) {
    // Each rank its own batch and graph views; the same model options everywhere.
    models::testing::Gcl4srToy toy = models::testing::make_gcl4sr_toy(1, 11 + rank);
    toy.options.init_seed = 5;
    toy.options.dropout = 0.0;  // the default generator is shared by the thread ranks
    const models::Gcl4srLossWeights weights;

    models::Gcl4srModel replicated(toy.options);
    models::Gcl4srOptions sharded_options = toy.options;
    sharded_options.item_table = sharded_item_table(comm, toy.options.num_items, 3);
    models::Gcl4srModel sharded(sharded_options);
    const ddp::ItemSharding sharding = ddp::item_sharding(comm, toy.options.num_items);
    EXPECT_TRUE(sharded->item_embedding().equal(sharding.shard_of(replicated->item_embedding())))
        << "initial rows";

    const models::Gcl4srLosses a = replicated->losses(toy.batch, weights);
    a.total.backward();
    const models::Gcl4srLosses b = sharded->losses(toy.batch, weights);
    b.total.backward();
    expect_close(b.main, a.main, "main loss");
    expect_close(b.gcl, a.gcl, "GCL loss");
    expect_close(b.mmd, a.mmd, "MMD loss");

    expect_same_step(*replicated, *sharded, {"item_embeddings.weight"}, sharding, comm);
  });
}

// Rank r's users: 3 + r rows of a few items each over 29 items.
models::SparseRows user_rows(int rank) {
  std::vector<std::int64_t> items, offsets, rows;
  const std::int64_t users = 3 + rank;
  for (std::int64_t u = 0; u < users; ++u) {
    offsets.push_back(static_cast<std::int64_t>(items.size()));
    for (std::int64_t k = 0; k < 2 + (u + rank) % 4; ++k) {
      items.push_back((7 * u + 5 * k + 3 * rank) % 29);
      rows.push_back(u);
    }
  }
  return {at::tensor(items, at::kLong), at::tensor(offsets, at::kLong), at::tensor(rows, at::kLong),
          users};
}

TEST_P(ShardedModels, MultVaeLossGradientsAndAdamStepMatchTheReplicatedModel) {
  rsdist::testing::run_ranks(GetParam(), [](int rank, ddp::Communicator& comm) {
    models::MultVaeOptions o;
    o.num_items = 29;
    o.dims = {12, 4};
    o.init_seed = 9;
    models::MultVaeModel replicated(o);
    models::MultVaeOptions sharded_options = o;
    sharded_options.item_table = sharded_item_table(comm, o.num_items, 2);
    models::MultVaeModel sharded(sharded_options);
    const ddp::ItemSharding sharding = ddp::item_sharding(comm, o.num_items);
    const std::vector<std::string> names = {"encoder.0.item_weight", "decoder.1.weight",
                                            "decoder.1.bias"};
    auto b_params = sharded->named_parameters();
    for (const auto& item : replicated->named_parameters()) {
      const at::Tensor expected = std::find(names.begin(), names.end(), item.key()) != names.end()
                                      ? sharding.shard_of(item.value().detach())
                                      : item.value().detach();
      EXPECT_TRUE(b_params[item.key()].detach().equal(expected)) << "initial " << item.key();
    }
    const models::SparseRows x = user_rows(rank);
    at::Generator g = at::detail::createCPUGenerator(40 + static_cast<std::uint64_t>(rank));
    const models::MultVaeNoise noise = replicated->draw_noise(x, g);
    const models::MultVaeLoss a = replicated->loss(replicated->forward(x, noise), x, 0.3);
    a.loss.backward();
    const models::MultVaeLoss b = sharded->loss(sharded->forward(x, noise), x, 0.3);
    b.loss.backward();
    expect_close(b.neg_ll, a.neg_ll, "multinomial likelihood");
    expect_close(b.kl, a.kl, "KL");
    // Evaluation scores: this rank's columns of the replicated logits.
    replicated->eval();
    sharded->eval();
    expect_close(sharded->score(x), replicated->score(x).slice(1, sharding.rank, o.num_items,
                                                               sharding.world), "scores");
    expect_same_step(*replicated, *sharded, names, sharding, comm);
  });
}

INSTANTIATE_TEST_SUITE_P(Ranks, ShardedModels, ::testing::Values(1, 2, 3),
                         [](const auto& info) { return std::to_string(info.param) + "_ranks"; });

}  // namespace
}  // namespace rsdist::train
