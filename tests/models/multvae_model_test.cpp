// Mult-VAE's pieces without PyTorch: the sparse-row product against a dense matmul, the KL weight
// schedule, the truncated-normal biases, the noise as a pure function of the generator's seed, and
// the input orders (the same when nothing is dropped; different once entries are).
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "models/multvae_model.hpp"
#include "models/seeded_init.hpp"
#include "models/sparse_rows.hpp"

namespace rsdist::models {
namespace {

SparseRows rows_of(const at::Tensor& dense) {
  const at::Tensor nz = dense.nonzero();
  const at::Tensor counts = dense.sum(1).to(at::kLong);
  return {nz.select(1, 1).contiguous(), (counts.cumsum(0) - counts).contiguous(),
          nz.select(1, 0).contiguous(), dense.size(0)};
}

at::Tensor sample_rows(std::int64_t users, std::int64_t items, std::uint64_t seed) {
  at::Generator g = at::detail::createCPUGenerator(seed);
  at::Tensor x = at::bernoulli(at::full({users, items}, 0.3), g);
  x[1].zero_();  // an empty row
  return x;
}

TEST(SparseRows, ProductEqualsTheDenseMatmulWithAndWithoutValues) {
  const at::Tensor x = sample_rows(6, 20, 1);
  const SparseRows rows = rows_of(x);
  at::Generator g = at::detail::createCPUGenerator(2);
  const at::Tensor m = at::randn({20, 7}, g);
  EXPECT_TRUE(sparse_rows_mm(rows, m).allclose(at::mm(x, m), 1e-5, 1e-6));
  EXPECT_EQ(sparse_rows_mm(rows, m)[1].abs().sum().item<double>(), 0.0);
  const at::Tensor values = at::rand({rows.nnz()}, g);
  at::Tensor weighted = at::zeros_like(x);
  weighted.index_put_({rows.rows, rows.items}, values);
  EXPECT_TRUE(sparse_rows_mm(rows, m, values).allclose(at::mm(weighted, m), 1e-5, 1e-6));
  // A transposed (non-contiguous) matrix, as the encoder's first layer passes W^T.
  const at::Tensor w = at::randn({7, 20}, g);
  EXPECT_TRUE(sparse_rows_mm(rows, w.t()).allclose(at::mm(x, w.t()), 1e-5, 1e-6));
  EXPECT_TRUE(sparse_row_sums(rows, at::ones({rows.nnz()})).equal(x.sum(1)));
}

TEST(MultVae, KlWeightRisesLinearlyToItsCap) {
  EXPECT_EQ(kl_weight(0, 0.2, 20000), 0.0);
  EXPECT_DOUBLE_EQ(kl_weight(5000, 0.2, 20000), 0.05);
  EXPECT_DOUBLE_EQ(kl_weight(20000, 0.2, 20000), 0.2);
  EXPECT_DOUBLE_EQ(kl_weight(90000, 0.2, 20000), 0.2);
  EXPECT_DOUBLE_EQ(kl_weight(0, 0.2, 0), 0.2);
  // The paper's code: min(0.2, step / 200000) is anneal_steps 40000 with cap 0.2.
  for (const std::int64_t step : {0, 1000, 39999, 40000, 100000}) {
    EXPECT_NEAR(kl_weight(step, 0.2, 40000), std::min(0.2, step / 200000.0), 1e-15) << step;
  }
}

TEST(MultVae, LayoutAndTruncatedNormalBiases) {
  MultVaeOptions o;
  o.num_items = 50;
  o.dims = {16, 4};
  o.init_seed = 7;
  MultVaeModel model(o);
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (const auto& p : model->named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  const std::map<std::string, std::vector<std::int64_t>> expected = {
      {"encoder.0.item_weight", {50, 16}}, {"encoder.0.bias", {16}}, {"encoder.1.weight", {8, 16}},
      {"encoder.1.bias", {8}},        {"decoder.0.weight", {16, 4}}, {"decoder.0.bias", {16}},
      {"decoder.1.weight", {50, 16}}, {"decoder.1.bias", {50}}};
  EXPECT_EQ(shapes, expected);
  for (const auto& p : model->named_parameters()) {
    if (p.key().find("bias") == std::string::npos) continue;
    EXPECT_LE(p.value().abs().max().item<double>(), 0.002) << p.key();
    EXPECT_GT(p.value().abs().max().item<double>(), 0.0) << p.key();
  }
  at::Generator g = make_init_generator(1);
  at::Tensor t = at::empty({100000});
  truncated_normal_(t, 1.0, g);
  EXPECT_LE(t.abs().max().item<double>(), 2.0);
  EXPECT_NEAR(t.std().item<double>(), 0.88, 0.01);  // the sd of N(0, 1) cut at +-2
  // The same seed builds the same weights.
  MultVaeModel again(o);
  const auto theirs = again->named_parameters();
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(p.value().equal(theirs[p.key()])) << p.key();
  }
}

TEST(MultVae, NoiseIsAFunctionOfTheGeneratorsSeed) {
  MultVaeOptions o;
  o.num_items = 30;
  o.dims = {8, 3};
  MultVaeModel model(o);
  const SparseRows rows = rows_of(sample_rows(5, 30, 3));
  at::Generator g = at::detail::createCPUGenerator(0);
  const auto draw = [&](std::uint64_t seed) {
    g.set_current_seed(seed);
    return model->draw_noise(rows, g);
  };
  const MultVaeNoise a = draw(11), b = draw(11), c = draw(12);
  EXPECT_TRUE(a.keep.equal(b.keep));
  EXPECT_TRUE(a.eps.equal(b.eps));
  EXPECT_FALSE(a.keep.equal(c.keep));
  EXPECT_EQ(a.keep.numel(), rows.nnz());
  EXPECT_EQ(a.eps.sizes(), (std::vector<std::int64_t>{5, 3}));
  EXPECT_NEAR(a.keep.mean().item<double>(), 0.5, 0.2);
}

TEST(MultVae, TheInputOrdersAgreeWithoutDropoutAndDifferWithIt) {
  const SparseRows rows = rows_of(sample_rows(6, 40, 4));
  const auto logits = [&](InputOrder order, const MultVaeNoise& noise) {
    MultVaeOptions o;
    o.num_items = 40;
    o.dims = {10, 4};
    o.order = order;
    o.init_seed = 9;
    MultVaeModel model(o);
    return model->forward(rows, noise).logits.detach();
  };
  at::Generator g = at::detail::createCPUGenerator(5);
  const MultVaeNoise none{};
  const MultVaeNoise all_kept{at::ones({rows.nnz()}), {}};
  MultVaeNoise some{at::bernoulli(at::full({rows.nnz()}, 0.5), g), {}};
  // Dropping out before normalising: the scale 1 / keep cancels; after: it does not.
  EXPECT_TRUE(logits(InputOrder::kNormalizeDropout, none)
                  .allclose(logits(InputOrder::kDropoutNormalize, none), 1e-6, 1e-7));
  EXPECT_FALSE(logits(InputOrder::kNormalizeDropout, all_kept)
                   .allclose(logits(InputOrder::kDropoutNormalize, all_kept), 1e-4, 1e-5));
  EXPECT_FALSE(logits(InputOrder::kNormalizeDropout, some)
                   .allclose(logits(InputOrder::kDropoutNormalize, some), 1e-4, 1e-5));
  // Evaluation (no noise) is deterministic and uses z = mu.
  EXPECT_TRUE(logits(InputOrder::kNormalizeDropout, none)
                  .equal(logits(InputOrder::kNormalizeDropout, none)));
  EXPECT_THROW(input_order("dropout_first"), std::exception);
}

// The same weights, rows and noise on CUDA give the CPU's logits, loss and gradients.
TEST(MultVae, CudaMatchesCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const at::Device cuda(at::kCUDA, 0);
  MultVaeOptions o;
  o.num_items = 60;
  o.dims = {24, 6};
  o.init_seed = 4;
  MultVaeModel cpu_model(o), cuda_model(o);
  cuda_model->to(cuda);
  const SparseRows rows = rows_of(sample_rows(8, 60, 6));
  at::Generator g = at::detail::createCPUGenerator(8);
  const MultVaeNoise noise{at::bernoulli(at::full({rows.nnz()}, 0.5), g), at::randn({8, 6}, g)};
  const MultVaeLoss a = multvae_loss(cpu_model->forward(rows, noise), rows, 0.2);
  const MultVaeLoss b = multvae_loss(
      cuda_model->forward(rows.to(cuda), {noise.keep.to(cuda), noise.eps.to(cuda)}), rows.to(cuda),
      0.2);
  a.loss.backward();
  b.loss.backward();
  EXPECT_NEAR(a.loss.item<double>(), b.loss.item<double>(), 2e-3 * (1 + a.loss.abs().item<double>()));
  const auto theirs = cuda_model->named_parameters();
  for (const auto& p : cpu_model->named_parameters()) {
    const at::Tensor mine = p.value().grad(), other = theirs[p.key()].grad().cpu();
    EXPECT_LE((mine - other).abs().max().item<double>(), 2e-3 * (1 + mine.abs().max().item<double>()))
        << p.key();
  }
}

}  // namespace
}  // namespace rsdist::models
