// GCL4SR against a plain-PyTorch reference with the official code's structure
// (tests/models/gcl4sr_reference.py): given the same weights, batch and sampled two-hop blocks,
// the user representation, the main/GCL/MMD losses and every gradient agree. The reference runs
// the graph encoder over both hops, the C++ model over the innermost block only (Note [The one
// block GCL4SR uses] in models/seq_batch.hpp), so the match also shows the outer hop is dead.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "models/gcl4sr_model.hpp"
#include "models/gcl4sr_test_data.hpp"
#include "support/python_runner.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::models {
namespace {

using TensorMap = std::map<std::string, at::Tensor>;

at::Tensor scalar(double value) { return at::scalar_tensor(value, at::kDouble); }

TensorMap export_toy(bool altered) {
  const testing::Gcl4srToy toy = testing::make_gcl4sr_toy(/*hops=*/2, 11);
  Gcl4srModel model(toy.options);
  model->eval();
  const Gcl4srLossWeights weights{1.0, 0.1, 0.5};
  TensorMap out;
  out["config/hidden"] = scalar(static_cast<double>(toy.options.hidden_size));
  out["config/max_len"] = scalar(static_cast<double>(toy.options.max_seq_length));
  out["config/layers"] = scalar(static_cast<double>(toy.options.num_layers));
  out["config/heads"] = scalar(static_cast<double>(toy.options.num_heads));
  out["config/lambda_gcl"] = scalar(weights.lambda_gcl);
  out["config/lambda_mmd"] = scalar(weights.lambda_mmd);
  out["config/temperature"] = scalar(weights.temperature);
  out["config/expect_mismatch"] = scalar(altered ? 1 : 0);
  for (const auto& p : model->named_parameters())
    out["params/" + p.key()] = p.value().detach().clone();
  out["buffers/gate_item"] = model->gate_item.clone();
  out["buffers/gate_user"] = model->gate_user.clone();
  out["batch/users"] = toy.batch.users;
  out["batch/inputs"] = toy.batch.inputs;
  out["batch/targets"] = toy.batch.targets;
  out["graph/edge_attr"] = at::tensor(toy.graph.weights, at::kFloat);
  for (int v = 0; v < 2; ++v) {
    const seq::NeighborSample& s = toy.samples[v];
    const std::string view = "view" + std::to_string(v) + "/";
    out[view + "n_id"] = at::tensor(s.n_id, at::kLong);
    for (std::size_t h = 0; h < s.blocks.size(); ++h) {
      const seq::BipartiteBlock& b = s.blocks[h];
      const std::string hop = view + "hop" + std::to_string(h) + "/";
      out[hop + "edge_index"] = at::tensor(b.edge_index, at::kLong).view({2, b.num_edges()});
      out[hop + "e_id"] = at::tensor(b.e_id, at::kLong);
      out[hop + "size"] =
          at::tensor(std::vector<std::int64_t>{b.num_sources, b.num_targets}, at::kLong);
    }
  }

  const Gcl4srForward f = model->forward(toy.batch);
  out["out/local_real"] = f.local.index({toy.batch.inputs.ne(0)}).detach();
  out["out/user_repr"] = model->attention_readout(f.hidden, f.mask).detach();
  const Gcl4srLosses losses = model->losses(toy.batch, weights);
  losses.total.backward();
  out["out/main"] = losses.main.detach();
  out["out/gcl"] = losses.gcl.detach();
  out["out/mmd"] = losses.mmd.detach();
  out["out/total"] = losses.total.detach();
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(p.value().grad().defined()) << p.key() << " got no gradient";
    if (p.value().grad().defined()) out["grad/" + p.key()] = p.value().grad().clone();
  }
  if (altered) out["grad/w_1"].view(-1)[3] += 1e-3;
  return out;
}

TEST(Gcl4srParity, MatchesTheOfficialStructureInPlainPyTorch) {
  rsdist::testing::TempDir tmp;
  train::export_weights_for_pytorch(tmp / "gcl4sr.pt", export_toy(false));
  EXPECT_EQ(rsdist::testing::run_python_script("tests/models/gcl4sr_reference.py",
                                               {(tmp / "gcl4sr.pt").string()}),
            0);
}

// One gradient entry moved by 50x the tolerance: the reference must report it.
TEST(Gcl4srParity, TheComparisonCanFail) {
  rsdist::testing::TempDir tmp;
  train::export_weights_for_pytorch(tmp / "gcl4sr.pt", export_toy(true));
  EXPECT_EQ(rsdist::testing::run_python_script("tests/models/gcl4sr_reference.py",
                                               {(tmp / "gcl4sr.pt").string()}),
            0);
}

}  // namespace
}  // namespace rsdist::models
