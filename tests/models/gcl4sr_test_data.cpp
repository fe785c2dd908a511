#include "models/gcl4sr_test_data.hpp"

#include <ATen/ATen.h>

#include <vector>

#include "core/rng.hpp"
#include "data/seq/sequence_reader.hpp"

namespace rsdist::models::testing {
namespace {

constexpr std::int64_t kItems = 24;  // ids 1..24
constexpr std::int64_t kUsers = 7;
constexpr std::int64_t kLength = 8;

at::Tensor long_tensor(const std::vector<std::int64_t>& values) {
  return at::tensor(values, at::kLong);
}

}  // namespace

GraphView innermost_view(const seq::NeighborSample& sample, const seq::WeightedGraph& graph) {
  const seq::BipartiteBlock& block = sample.blocks.back();
  GraphView view;
  view.nodes = long_tensor(
      std::vector<std::int64_t>(sample.n_id.begin(), sample.n_id.begin() + block.num_sources));
  view.edge_index = long_tensor(block.edge_index).view({2, block.num_edges()});
  std::vector<float> weights;
  for (const std::int64_t e : block.e_id)
    weights.push_back(graph.weights[static_cast<std::size_t>(e)]);
  view.edge_weight = at::tensor(weights, at::kFloat);
  return view;
}

Gcl4srToy make_gcl4sr_toy(int hops, std::uint64_t seed) {
  Gcl4srToy toy;
  Rng rng(seed);
  seq::SequenceCorpus sequences;
  for (std::int64_t u = 0; u < 40; ++u) {
    std::vector<std::int32_t> items;
    const auto length = static_cast<std::int64_t>(3 + rng.uniform_below(10));
    for (std::int64_t i = 0; i < length; ++i) {
      items.push_back(static_cast<std::int32_t>(1 + rng.uniform_below(kItems)));
    }
    sequences.append(u, items);
  }
  seq::WitgOptions witg;
  witg.num_nodes = kItems + 1;
  toy.graph = seq::build_witg(sequences, witg);

  // Prefix lengths 1, 3, 8 (full), 5, 2; the third user's window is the last 8 of a longer one.
  const std::vector<std::int64_t> lengths = {1, 3, 8, 5, 2};
  std::vector<std::int64_t> inputs, users, targets;
  for (std::size_t b = 0; b < lengths.size(); ++b) {
    for (std::int64_t p = 0; p < kLength - lengths[b]; ++p) inputs.push_back(0);
    for (std::int64_t p = 0; p < lengths[b]; ++p) {
      inputs.push_back(static_cast<std::int64_t>(1 + rng.uniform_below(kItems)));
    }
    users.push_back(static_cast<std::int64_t>(rng.uniform_below(kUsers)));
    targets.push_back(static_cast<std::int64_t>(1 + rng.uniform_below(kItems)));
  }
  const auto batch = static_cast<std::int64_t>(lengths.size());
  toy.batch.inputs = long_tensor(inputs).view({batch, kLength});
  toy.batch.users = long_tensor(users);
  toy.batch.targets = long_tensor(targets);
  seq::NeighborSamplerOptions sampler;
  sampler.sample_sizes.assign(static_cast<std::size_t>(hops), 3);
  Rng draw = Rng::stream(seed, {7});
  for (int v = 0; v < 2; ++v) {
    toy.samples[v] = seq::sample_neighbors(toy.graph, inputs, sampler, draw);
    toy.batch.views[static_cast<std::size_t>(v)] = innermost_view(toy.samples[v], toy.graph);
  }

  toy.options.num_users = kUsers;
  toy.options.num_items = kItems + 1;
  toy.options.hidden_size = 8;
  toy.options.max_seq_length = kLength;
  toy.options.num_layers = 2;
  toy.options.num_heads = 2;
  toy.options.init_seed = seed;
  return toy;
}

}  // namespace rsdist::models::testing
