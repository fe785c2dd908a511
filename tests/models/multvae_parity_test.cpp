// Mult-VAE against a plain-PyTorch reference (tests/models/multvae_reference.py: the paper's code's
// computation, dense): given the same weights, rows, dropout mask and noise, the logits, mu, log
// sigma^2, both loss terms, the loss, the evaluation scores and every gradient agree, for both
// input orders. The C++ side never forms the dense input (sparse rows, the mask on their entries),
// so this also checks that shortcut against the textbook formula.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "models/multvae_model.hpp"
#include "support/python_runner.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::models {
namespace {

using TensorMap = std::map<std::string, at::Tensor>;
constexpr std::int64_t kItems = 37, kUsers = 9;
constexpr double kDropout = 0.5, kBeta = 0.3;

at::Tensor scalar(double v) { return at::scalar_tensor(v, at::kDouble); }

// Sparse rows of a dense 0/1 matrix, row by row.
SparseRows rows_of(const at::Tensor& dense) {
  const at::Tensor nz = dense.nonzero();  // [nnz, 2], row-major order
  SparseRows x;
  x.rows = nz.select(1, 0).contiguous();
  x.items = nz.select(1, 1).contiguous();
  x.num_rows = dense.size(0);
  const at::Tensor counts = dense.sum(1).to(at::kLong);
  x.offsets = (counts.cumsum(0) - counts).contiguous();
  return x;
}

TensorMap export_multvae(InputOrder order) {
  MultVaeOptions o;
  o.num_items = kItems;
  o.dims = {11, 5};
  o.dropout = kDropout;
  o.order = order;
  o.init_seed = 3;
  MultVaeModel model(o);
  // Weights well away from the tiny-bias start, so that every gradient is exercised.
  at::Generator g = at::detail::createCPUGenerator(5);
  for (auto& p : model->parameters()) p.data().uniform_(-0.4, 0.4, g);
  at::Tensor x = at::bernoulli(at::full({kUsers, kItems}, 0.25), g);
  x[3].zero_();  // a user without items: an empty row
  x[4].zero_();
  x[4][7] = 1;  // ... and one with a single item
  const at::Tensor keep = at::bernoulli(at::full({kUsers, kItems}, 1 - kDropout), g);
  const at::Tensor eps = at::randn({kUsers, 5}, g);
  const SparseRows rows = rows_of(x);
  MultVaeNoise noise{keep.index({rows.rows, rows.items}).contiguous(), eps};

  TensorMap out;
  out["config/items"] = scalar(kItems);
  out["config/dims"] = at::tensor({11, 5}, at::kLong);
  out["config/dropout"] = scalar(kDropout);
  out["config/order"] = scalar(order == InputOrder::kNormalizeDropout ? 0 : 1);
  out["config/beta"] = scalar(kBeta);
  for (const auto& p : model->named_parameters()) out["params/" + p.key()] = p.value().detach().clone();
  out["batch/x"] = x;
  out["batch/keep"] = keep;
  out["batch/eps"] = eps;
  model->train();
  const MultVaeOutput y = model->forward(rows, noise);
  const MultVaeLoss loss = multvae_loss(y, rows, kBeta);
  out["out/logits"] = y.logits.detach();
  out["out/mu"] = y.mu.detach();
  out["out/logvar"] = y.logvar.detach();
  out["out/neg_ll"] = loss.neg_ll.detach();
  out["out/kl"] = loss.kl.detach();
  out["out/loss"] = loss.loss.detach();
  loss.loss.backward();
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(p.value().grad().defined()) << p.key() << " got no gradient";
    if (p.value().grad().defined()) out["grad/" + p.key()] = p.value().grad().clone();
  }
  model->eval();
  out["eval/logits"] = model->score(rows).detach();
  return out;
}

int compare(TensorMap t, const std::string& name, bool altered) {
  rsdist::testing::TempDir tmp;
  t["config/expect_mismatch"] = scalar(altered ? 1 : 0);
  if (altered) t.at("grad/encoder.0.item_weight").view(-1)[5] += 1e-3;
  train::export_weights_for_pytorch(tmp / (name + ".pt"), t);
  return rsdist::testing::run_python_script("tests/models/multvae_reference.py",
                                            {(tmp / (name + ".pt")).string()});
}

TEST(MultVaeParity, NormalizeThenDropoutMatchesPlainPyTorch) {
  EXPECT_EQ(compare(export_multvae(InputOrder::kNormalizeDropout), "nd", false), 0);
}

TEST(MultVaeParity, DropoutThenNormalizeMatchesPlainPyTorch) {
  EXPECT_EQ(compare(export_multvae(InputOrder::kDropoutNormalize), "dn", false), 0);
}

// One gradient entry of the sparse first layer moved by 1e-3: the reference must report it.
TEST(MultVaeParity, TheComparisonCanFail) {
  EXPECT_EQ(compare(export_multvae(InputOrder::kNormalizeDropout), "nd", true), 0);
}

}  // namespace
}  // namespace rsdist::models
