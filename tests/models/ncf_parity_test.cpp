// The seed's explicit NCF and the paper's GMF / MLP / NeuMF against plain-PyTorch references
// (tests/models/ncf_reference.py: the seed's FeaturesEmbedding / MultiLayerPerceptron /
// NeuralCollaborativeFiltering structure, and the three implicit models with the official
// code's layer layout): given the same weights and batch, the predictions, the loss (MSE on
// rating / 5; BCE on the sigmoid), every gradient and BatchNorm's updated running statistics agree.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "models/ncf_model.hpp"
#include "models/neumf_model.hpp"
#include "support/python_runner.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::models {
namespace {

using TensorMap = std::map<std::string, at::Tensor>;
constexpr std::int64_t kUsers = 13, kItems = 17, kBatch = 24;

at::Tensor scalar(double v) { return at::scalar_tensor(v, at::kDouble); }

struct Batch {
  at::Tensor users, items, targets;
};

Batch make_batch(bool ratings) {
  at::Generator g = at::detail::createCPUGenerator(11);
  Batch b;
  b.users = at::randint(kUsers, {kBatch}, g, at::kLong);
  b.items = at::randint(kItems, {kBatch}, g, at::kLong);
  b.targets = ratings ? at::randint(1, 6, {kBatch}, g, at::kFloat)
                      : at::randint(0, 2, {kBatch}, g, at::kFloat);
  return b;
}

void put_batch(TensorMap& out, const Batch& b) {
  out["config/users"] = scalar(kUsers);
  out["config/items"] = scalar(kItems);
  out["batch/users"] = b.users;
  out["batch/items"] = b.items;
  out["batch/targets"] = b.targets;
}

template <class Model>
void put_gradients(TensorMap& out, Model& model, const at::Tensor& loss) {
  loss.backward();
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(p.value().grad().defined()) << p.key() << " got no gradient";
    if (p.value().grad().defined()) out["grad/" + p.key()] = p.value().grad().clone();
  }
}

TensorMap export_ncf() {
  NcfOptions o;
  o.num_users = kUsers;
  o.num_items = kItems;
  o.embed_dim = 6;
  o.mlp_dims = {10, 7};
  o.dropout = 0.0;  // training mode (BatchNorm on batch statistics) without random masks
  o.init_seed = 2;
  NcfModel model(o);
  model->train();
  TensorMap out;
  out["config/model"] = scalar(0);
  out["config/embed_dim"] = scalar(6);
  out["config/mlp_dims"] = at::tensor({10, 7}, at::kLong);
  for (const auto& p : model->named_parameters()) out["params/" + p.key()] = p.value().detach().clone();
  const Batch b = make_batch(/*ratings=*/true);
  put_batch(out, b);
  const at::Tensor prediction = at::sigmoid(model->forward(b.users, b.items));
  const at::Tensor loss = at::mse_loss(prediction, b.targets / 5.0);
  out["out/prediction"] = prediction.detach();
  out["out/loss"] = loss.detach();
  for (const auto& buffer : model->named_buffers()) {
    if (buffer.key().find("running") != std::string::npos)
      out["buffers/" + buffer.key()] = buffer.value().clone();
  }
  put_gradients(out, model, loss);
  return out;
}

TensorMap export_neumf(NeuMfKind kind) {
  NeuMfOptions o;
  o.kind = kind;
  o.num_users = kUsers;
  o.num_items = kItems;
  o.factors = 5;
  o.layers = {12, 8, 4};
  o.init_seed = 4;
  NeuMfModel model(o);
  // Weights well away from the N(0, 0.01) start, so that gradients are not all near zero.
  at::Generator g = at::detail::createCPUGenerator(9);
  for (auto& p : model->parameters()) p.data().uniform_(-0.5, 0.5, g);
  TensorMap out;
  out["config/model"] = scalar(kind == NeuMfKind::kGmf ? 1 : kind == NeuMfKind::kMlp ? 2 : 3);
  out["config/factors"] = scalar(5);
  out["config/layers"] = at::tensor({12, 8, 4}, at::kLong);
  for (const auto& p : model->named_parameters()) out["params/" + p.key()] = p.value().detach().clone();
  const Batch b = make_batch(/*ratings=*/false);
  put_batch(out, b);
  const at::Tensor logits = model->forward(b.users, b.items);
  const at::Tensor loss = at::binary_cross_entropy_with_logits(logits, b.targets);
  out["out/prediction"] = at::sigmoid(logits).detach();
  out["out/loss"] = loss.detach();
  put_gradients(out, model, loss);
  return out;
}

int compare(const TensorMap& tensors, const std::string& name, bool altered) {
  rsdist::testing::TempDir tmp;
  TensorMap t = tensors;
  t["config/expect_mismatch"] = scalar(altered ? 1 : 0);
  if (altered) {
    for (auto& [key, value] : t) {
      if (key.rfind("grad/", 0) == 0) {
        value.view(-1)[0] += 1e-3;
        break;
      }
    }
  }
  train::export_weights_for_pytorch(tmp / (name + ".pt"), t);
  return rsdist::testing::run_python_script("tests/models/ncf_reference.py",
                                            {(tmp / (name + ".pt")).string()});
}

TEST(NcfParity, SeedNcfMatchesItsPyTorchClasses) { EXPECT_EQ(compare(export_ncf(), "ncf", false), 0); }

TEST(NcfParity, GmfMlpAndNeuMfMatchPlainPyTorch) {
  EXPECT_EQ(compare(export_neumf(NeuMfKind::kGmf), "gmf", false), 0);
  EXPECT_EQ(compare(export_neumf(NeuMfKind::kMlp), "mlp", false), 0);
  EXPECT_EQ(compare(export_neumf(NeuMfKind::kNeuMf), "neumf", false), 0);
}

// One gradient entry moved by 1e-3 (far above the tolerance): the reference must report it.
TEST(NcfParity, TheComparisonCanFail) {
  EXPECT_EQ(compare(export_ncf(), "ncf", true), 0);
  EXPECT_EQ(compare(export_neumf(NeuMfKind::kNeuMf), "neumf", true), 0);
}

}  // namespace
}  // namespace rsdist::models
