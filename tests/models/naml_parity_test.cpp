// NAML against an independent plain-PyTorch implementation (tests/models/naml_reference.py):
// forward, both losses, gradient clipping and two Adam steps, for both click predictors, with and
// without the history mask, frozen and trainable word vectors, with and without weight decay.
// Everything goes to Python in one file and one interpreter start.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adam.h>

#include <map>
#include <string>
#include <vector>

#include "models/click_losses.hpp"
#include "models/naml_model.hpp"
#include "models/naml_test_data.hpp"
#include "support/python_runner.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::models {
namespace {

using TensorMap = std::map<std::string, at::Tensor>;

struct ParityCase {
  ClickPredictorKind predictor;
  bool mask_history;
  bool freeze_word_embedding;
  bool sigmoid_step_loss;  // the loss the optimizer steps on (softmax otherwise)
  double weight_decay;
  double max_norm;  // gradient clipping
};

const std::vector<ParityCase>& parity_cases() {
  static const std::vector<ParityCase> cases = {
      {ClickPredictorKind::kDotProduct, true, false, false, 0.0, 4.0},
      {ClickPredictorKind::kDotProduct, false, true, true, 1e-2, 4.0},
      {ClickPredictorKind::kMlp, true, true, false, 1e-2, 0.05},  // clipping scales the gradients
      {ClickPredictorKind::kMlp, false, false, true, 0.0, 4.0},
  };
  return cases;
}

constexpr double kLearningRate = 1e-3;

at::Tensor scalar(double value) { return at::scalar_tensor(value, at::kDouble); }

void put_parameters(NamlModel& model, const std::string& prefix, TensorMap& out) {
  for (const auto& p : model->named_parameters())
    out[prefix + p.key()] = p.value().detach().clone();
}

// Runs one case and adds its tensors under "caseK/" (see naml_reference.py); returns the gradient
// norms before clipping of its two steps.
std::vector<double> export_case(int k, const ParityCase& c, const ClickBatch& batch,
                                TensorMap& out) {
  const std::string prefix = "case" + std::to_string(k) + "/";
  NamlOptions options = testing::small_naml_options(c.predictor, c.mask_history, 100 + k);
  options.freeze_word_embedding = c.freeze_word_embedding;
  NamlModel model(options);
  model->eval();  // dropout off: the reference is compared without randomness

  out[prefix + "config/mlp"] = scalar(c.predictor == ClickPredictorKind::kMlp);
  out[prefix + "config/mask_history"] = scalar(c.mask_history);
  out[prefix + "config/freeze"] = scalar(c.freeze_word_embedding);
  out[prefix + "config/sigmoid_step_loss"] = scalar(c.sigmoid_step_loss);
  out[prefix + "config/weight_decay"] = scalar(c.weight_decay);
  out[prefix + "config/lr"] = scalar(kLearningRate);
  out[prefix + "config/max_norm"] = scalar(c.max_norm);
  out[prefix + "config/expect_mismatch"] = scalar(0);
  put_parameters(model, prefix + "before/", out);

  const at::Tensor logits = model->forward(batch).detach();
  out[prefix + "logits"] = logits;
  out[prefix + "loss_softmax"] = negative_log_softmax_loss(logits);
  out[prefix + "loss_sigmoid"] = negative_log_sigmoid_loss(logits);

  std::vector<at::Tensor> trainable;
  for (const auto& p : model->parameters()) {
    if (p.requires_grad()) trainable.push_back(p);
  }
  torch::optim::Adam adam(trainable,
                          torch::optim::AdamOptions(kLearningRate).weight_decay(c.weight_decay));
  std::vector<double> norms;
  for (int step = 0; step < 2; ++step) {
    const std::string step_prefix = prefix + "step" + std::to_string(step) + "/";
    adam.zero_grad();
    const at::Tensor step_logits = model->forward(batch);
    const at::Tensor loss = c.sigmoid_step_loss ? negative_log_sigmoid_loss(step_logits)
                                                : negative_log_softmax_loss(step_logits);
    loss.backward();
    norms.push_back(torch::nn::utils::clip_grad_norm_(model->parameters(), c.max_norm));
    out[step_prefix + "loss"] = loss.detach();
    out[step_prefix + "total_norm"] = scalar(norms.back());
    for (const auto& p : model->named_parameters()) {
      if (p.value().grad().defined()) {
        out[step_prefix + "grad/" + p.key()] = p.value().grad().clone();
      }
    }
    adam.step();
  }
  put_parameters(model, prefix + "after/", out);
  return norms;
}

// A copy of case `k` with one gradient entry moved by 10x the tolerance: the reference must
// report it, which shows the comparison is able to fail.
void add_altered_copy(int k, int copy, TensorMap& out) {
  const std::string from = "case" + std::to_string(k) + "/";
  const std::string to = "case" + std::to_string(copy) + "/";
  TensorMap copies;
  for (const auto& [name, tensor] : out) {
    if (name.rfind(from, 0) == 0) copies[to + name.substr(from.size())] = tensor.clone();
  }
  copies[to + "config/expect_mismatch"] = scalar(1);
  at::Tensor& grad = copies.at(to + "step1/grad/news_encoder.title_conv.weight");
  grad.view(-1)[5] += 1e-4;
  out.merge(copies);
}

TEST(NamlParity, MatchesAPlainPyTorchReference) {
  const NamlOptions shape_options = testing::small_naml_options(ClickPredictorKind::kMlp, true);
  const auto small = testing::small_batch(shape_options);
  const ClickBatch batch =
      testing::make_click_batch(small.table, small.history_ids, small.candidate_ids, true);
  // The inputs cover what the reference must agree on: padded history slots, a user with no
  // history, an article with an empty abstract (mask row all zero), an article used several times.
  ASSERT_EQ(batch.history_mask.sum(1).to(at::kLong).max().item<std::int64_t>(), 5);
  ASSERT_EQ(batch.history_mask[2].sum().item<double>(), 0.0);
  ASSERT_EQ(batch.news.abstract_mask.sum(1).eq(0).sum().item<std::int64_t>(), 2);

  TensorMap out;
  out["inputs/news/title"] = batch.news.title;
  out["inputs/news/abstract"] = batch.news.abstract;
  out["inputs/news/category"] = batch.news.category;
  out["inputs/news/subcategory"] = batch.news.subcategory;
  out["inputs/history_index"] = batch.history_index;
  out["inputs/history_mask"] = batch.history_mask;
  out["inputs/candidate_index"] = batch.candidate_index;
  const auto& cases = parity_cases();
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const std::vector<double> norms = export_case(static_cast<int>(k), cases[k], batch, out);
    // Clipping is a no-op at 4 here and active in the case meant to test it.
    for (const double norm : norms) {
      EXPECT_EQ(norm > cases[k].max_norm, cases[k].max_norm < 1.0) << "case " << k << ": " << norm;
    }
  }
  add_altered_copy(0, static_cast<int>(cases.size()), out);

  rsdist::testing::TempDir tmp;
  train::export_weights_for_pytorch(tmp / "naml_parity.pt", out);
  EXPECT_EQ(rsdist::testing::run_python_script("tests/models/naml_reference.py",
                                               {(tmp / "naml_parity.pt").string()}),
            0);
}

}  // namespace
}  // namespace rsdist::models
