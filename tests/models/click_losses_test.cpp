#include "models/click_losses.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"

namespace rsdist::models {
namespace {

// Two rows, column 0 the clicked candidate.
at::Tensor example_logits() {
  return at::tensor({2.0, 1.0, 0.5, -1.0, 0.0, 3.0}, at::kFloat).view({2, 3});
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

TEST(ClickLosses, SoftmaxLossIsTheClickedColumnsNegativeLogProbability) {
  const double row0 = -(2.0 - std::log(std::exp(2.0) + std::exp(1.0) + std::exp(0.5)));
  const double row1 = -(-1.0 - std::log(std::exp(-1.0) + std::exp(0.0) + std::exp(3.0)));
  const at::Tensor loss = negative_log_softmax_loss(example_logits());
  EXPECT_EQ(loss.dim(), 0);
  EXPECT_NEAR(loss.item<double>(), (row0 + row1) / 2, 1e-6);
}

TEST(ClickLosses, SigmoidLossTreatsEveryCandidateAsABinaryDecision) {
  double sum = std::log(sigmoid(2.0)) + std::log(sigmoid(-1.0));             // clicked
  for (const double x : {1.0, 0.5, 0.0, 3.0}) sum += std::log(sigmoid(-x));  // negatives
  EXPECT_NEAR(negative_log_sigmoid_loss(example_logits()).item<double>(), -sum / 6, 1e-6);
}

TEST(ClickLosses, SigmoidLossIsClampedForConfidentMistakes) {
  // sigmoid(-200) underflows to 0 in float32; the clamp at 1e-15 bounds the loss.
  const at::Tensor logits = at::tensor({-200.0, 200.0}, at::kFloat).view({1, 2});
  EXPECT_NEAR(negative_log_sigmoid_loss(logits).item<double>(), -std::log(1e-15), 1e-3);
  // A single column has no negatives.
  EXPECT_NEAR(negative_log_sigmoid_loss(at::zeros({4, 1})).item<double>(), std::log(2.0), 1e-6);
}

TEST(ClickLosses, ReducedPrecisionLogitsGiveFloat32Losses) {
  const at::Tensor bf16 = example_logits().to(at::kBFloat16);
  for (const auto& loss : {negative_log_softmax_loss(bf16), negative_log_sigmoid_loss(bf16)}) {
    EXPECT_EQ(loss.scalar_type(), at::kFloat);
  }
  EXPECT_NEAR(negative_log_softmax_loss(bf16).item<double>(),
              negative_log_softmax_loss(example_logits()).item<double>(), 1e-2);
  EXPECT_EQ(negative_log_softmax_loss(example_logits().to(at::kDouble)).scalar_type(), at::kDouble);
}

TEST(ClickLosses, RejectLogitsThatAreNotAMatrix) {
  EXPECT_THROW(negative_log_softmax_loss(at::zeros({3})), Error);
  EXPECT_THROW(negative_log_sigmoid_loss(at::zeros({0, 3})), Error);
  EXPECT_THROW(negative_log_softmax_loss(at::Tensor()), Error);
}

}  // namespace
}  // namespace rsdist::models
