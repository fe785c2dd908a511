// GCL4SR's pieces on their own: the losses on hand-computed inputs, the Transformer's masking, and
// model invariants the trainer relies on (every parameter trained each step, fixed gates).
#include "models/gcl4sr_model.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "core/error.hpp"
#include "models/gcl4sr_losses.hpp"
#include "models/gcl4sr_test_data.hpp"
#include "models/transformer_encoder.hpp"

namespace rsdist::models {
namespace {

at::Tensor f64(std::vector<double> values, at::IntArrayRef shape) {
  return at::tensor(values, at::kDouble).view(shape);
}

TEST(Gcl4srLosses, ContrastiveLossOnTwoOrthogonalPairs) {
  // a = {e1, e2}, b = {e1, e2}: positive logits 1/t, cross logits 0, self logits -1e9.
  const double t = 0.5;
  const at::Tensor hidden = f64({1, 0, 0, 2, 3, 0, 0, 1}, {4, 2});          // norms do not matter
  const double row = -std::log(std::exp(1 / t) / (std::exp(1 / t) + 2.0));  // one pos, two zeros
  EXPECT_NEAR(graph_contrastive_loss(hidden, t).item<double>(), 2 * row, 1e-9);
}

TEST(Gcl4srLosses, MmdIsZeroForEqualSetsAndPositiveOtherwise) {
  const at::Tensor x = f64({0, 1, 2, 3, 1, 1}, {3, 2});
  EXPECT_NEAR(mmd_loss(x, x.clone()).item<double>(), 0.0, 1e-12);
  EXPECT_GT(mmd_loss(x, x + 3.0).item<double>(), 0.1);
}

TEST(Gcl4srLosses, KernelEqualsTheBroadcastFormAndAHandValue) {
  const at::Tensor s = at::randn({4, 6}, at::kDouble);
  const at::Tensor t = at::randn({4, 6}, at::kDouble);
  const at::Tensor total = at::cat({s, t}, 0);
  const at::Tensor d = (total.unsqueeze(0) - total.unsqueeze(1)).pow(2).sum(2);
  const double bw = d.sum().item<double>() / (64 - 8) / 4.0;  // / kernel_mul^(5 / 2)
  at::Tensor expected = at::zeros_like(d);
  for (int i = 0; i < 5; ++i) expected = expected + at::exp(-d / (bw * std::pow(2.0, i)));
  EXPECT_TRUE(at::allclose(gaussian_kernel_sum(s, t), expected, 1e-9, 1e-9));
  // One pair by hand: 1-d points 0 and 1, bandwidth 1 / 4 -> sum_i exp(-1 / (2^i / 4)).
  const at::Tensor k = gaussian_kernel_sum(f64({0}, {1, 1}), f64({1}, {1, 1}));
  double hand = 0;
  for (int i = 0; i < 5; ++i) hand += std::exp(-4.0 / std::pow(2.0, i));
  EXPECT_NEAR(k[0][1].item<double>(), hand, 1e-12);
  EXPECT_NEAR(k[0][0].item<double>(), 5.0, 1e-12);
}

TEST(TransformerEncoder, IsCausalAndFiniteOnPadding) {
  TransformerOptions o;
  o.d_model = 8;
  o.nhead = 2;
  o.dim_feedforward = 16;
  TransformerEncoder encoder(o);
  encoder->eval();
  const at::NoGradGuard no_grad;
  at::Tensor x = at::randn({2, 5, 8});
  const at::Tensor padding =
      at::tensor({1, 1, 0, 0, 0, 0, 0, 0, 0, 0}, at::kInt).to(at::kBool).view({2, 5});
  const at::Tensor before = encoder->forward(x, padding);
  EXPECT_TRUE(before.isfinite().all().item<bool>());
  // Note [Packed real positions]: padding rows come back zero.
  EXPECT_EQ(before[0].narrow(0, 0, 2).abs().sum().item<double>(), 0.0);
  EXPECT_GT(before[0][2].abs().sum().item<double>(), 0.0);
  x[0][4] += 1.0;  // a later position cannot change earlier outputs
  x[1][3] += 1.0;
  const at::Tensor after = encoder->forward(x, padding);
  EXPECT_TRUE(at::equal(before[0].narrow(0, 0, 4), after[0].narrow(0, 0, 4)));
  EXPECT_TRUE(at::equal(before[1].narrow(0, 0, 3), after[1].narrow(0, 0, 3)));
  EXPECT_FALSE(at::equal(before[0][4], after[0][4]));
  // A padding key is invisible: changing it leaves every real position unchanged.
  x[0][1] += 5.0;
  const at::Tensor padded = encoder->forward(x, padding);
  EXPECT_TRUE(at::allclose(after[0].narrow(0, 2, 3), padded[0].narrow(0, 2, 3)));
}

TEST(TransformerEncoder, MaskLetsPaddingQueriesSeeOnlyEarlierPadding) {
  const at::Tensor padding = at::tensor({1, 1, 0}, at::kInt).to(at::kBool).view({1, 3});
  const at::Tensor m = causal_padding_mask(padding).view({3, 3});
  const at::Tensor expected =
      at::tensor({1, 0, 0, 1, 1, 0, 0, 0, 1}, at::kInt).to(at::kBool).view({3, 3});
  EXPECT_TRUE(at::equal(m, expected));
}

TEST(Gcl4srModel, EveryParameterIsTrainedAndTheGatesAreFixedBuffers) {
  const testing::Gcl4srToy toy = testing::make_gcl4sr_toy(1, 3);
  Gcl4srModel model(toy.options);
  std::set<std::string> buffers;
  for (const auto& b : model->named_buffers()) buffers.insert(b.key());
  EXPECT_EQ(buffers, (std::set<std::string>{"gate_item", "gate_user"}));
  model->train();
  const Gcl4srLosses losses = model->losses(toy.batch, {});
  losses.total.backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
  for (const auto& l : {losses.main, losses.gcl, losses.mmd}) {
    EXPECT_TRUE(std::isfinite(l.item<double>()));
  }
  EXPECT_NEAR(losses.total.item<double>(),
              (losses.main + losses.gcl + 0.1 * losses.mmd).item<double>(), 1e-5);
}

TEST(Gcl4srModel, SameSeedSameWeightsEvalIsDeterministicTrainDropsOut) {
  const testing::Gcl4srToy toy = testing::make_gcl4sr_toy(1, 5);
  Gcl4srModel a(toy.options), b(toy.options);
  for (const auto& p : a->named_parameters()) {
    EXPECT_TRUE(at::equal(p.value(), *b->named_parameters().find(p.key()))) << p.key();
  }
  // Every parameter is uniform(+-1/sqrt(D)), as the official initialisation ends up.
  const double bound = 1.0 / std::sqrt(static_cast<double>(toy.options.hidden_size));
  for (const auto& p : a->parameters()) EXPECT_LE(p.abs().max().item<double>(), bound);
  const at::NoGradGuard no_grad;
  a->eval();
  const at::Tensor u1 = a->user_representation(toy.batch);
  EXPECT_TRUE(at::equal(u1, a->user_representation(toy.batch)));
  EXPECT_EQ(u1.sizes(), (std::vector<std::int64_t>{toy.batch.size(), toy.options.hidden_size}));
  a->train();
  EXPECT_FALSE(at::allclose(u1, a->user_representation(toy.batch)));
}

// The same weights on CUDA give the CPU's three losses and gradients (eval mode: no dropout masks
// to differ); TF32 matmuls on the GPU allow ~1e-3 relative.
TEST(Gcl4srModel, CudaMatchesCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const at::Device cuda(at::kCUDA, 0);
  const testing::Gcl4srToy toy = testing::make_gcl4sr_toy(1, 7);
  Gcl4srModel cpu_model(toy.options), cuda_model(toy.options);
  cuda_model->to(cuda);
  cpu_model->eval();
  cuda_model->eval();
  const Gcl4srLosses a = cpu_model->losses(toy.batch, {});
  const Gcl4srLosses b = cuda_model->losses(toy.batch.to(cuda), {});
  a.total.backward();
  b.total.backward();
  const auto close = [](const at::Tensor& x, const at::Tensor& y) {
    const at::Tensor h = y.cpu().to(at::kDouble), r = x.to(at::kDouble);
    return (h - r).abs().max().item<double>() <= 2e-3 * (1.0 + r.abs().max().item<double>());
  };
  EXPECT_TRUE(close(a.main, b.main));
  EXPECT_TRUE(close(a.gcl, b.gcl));
  EXPECT_TRUE(close(a.mmd, b.mmd));
  const auto theirs = cuda_model->named_parameters();
  for (const auto& p : cpu_model->named_parameters()) {
    ASSERT_TRUE(theirs[p.key()].grad().defined()) << p.key();
    EXPECT_TRUE(close(p.value().grad(), theirs[p.key()].grad())) << p.key();
  }
}

TEST(Gcl4srModel, RejectsBadOptionsAndBatches) {
  testing::Gcl4srToy toy = testing::make_gcl4sr_toy(1, 7);
  Gcl4srOptions bad = toy.options;
  bad.num_heads = 3;
  EXPECT_THROW(Gcl4srModel{bad}, Error);
  Gcl4srModel model(toy.options);
  toy.batch.inputs = toy.batch.inputs.narrow(1, 0, 4);  // shorter than max_seq_length
  EXPECT_THROW(model->losses(toy.batch, {}), Error);
}

}  // namespace
}  // namespace rsdist::models
