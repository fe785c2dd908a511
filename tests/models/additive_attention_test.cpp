#include "models/additive_attention.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {
namespace {

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

struct AttentionFixture : ::testing::Test {
  at::Generator generator = make_init_generator(7);
  AdditiveAttention attention{6, 4, generator};
  at::Tensor features = at::randn({3, 5, 6}, generator, at::kFloat);
};

TEST_F(AttentionFixture, MatchesTheFormulaWrittenOut) {
  const at::Tensor w1 = attention->affine1->weight, b1 = attention->affine1->bias;
  const at::Tensor w2 = attention->affine2->weight;  // [1, 4]
  for (std::int64_t n = 0; n < 3; ++n) {
    std::vector<double> scores;
    for (std::int64_t i = 0; i < 5; ++i) {
      scores.push_back(at::tanh(at::mv(w1, features[n][i]) + b1).dot(w2[0]).item<double>());
    }
    double total = 0.0;
    for (const double s : scores) total += std::exp(s);
    at::Tensor expected = at::zeros({6});
    for (std::int64_t i = 0; i < 5; ++i) expected += features[n][i] * (std::exp(scores[i]) / total);
    EXPECT_LT(max_abs_diff(attention->forward(features)[n], expected), 1e-6) << n;
  }
}

TEST_F(AttentionFixture, WeightsAreADistributionAndMaskedSlotsGetNone) {
  const at::Tensor mask =
      at::tensor({1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, at::kFloat).view({3, 5});
  const at::Tensor alpha = attention->weights(features, mask);
  EXPECT_LT(max_abs_diff(alpha.sum(1), at::ones({3})), 1e-6);
  // Rows 0 and 1 have 2 + 4 masked slots: exactly zero weight.
  EXPECT_TRUE(
      at::equal(alpha.slice(0, 0, 2).masked_select(mask.slice(0, 0, 2) == 0), at::zeros({6})));
  // A row with nothing to attend to gets uniform weights (finite, as the reference).
  EXPECT_LT(max_abs_diff(alpha[2], at::full({5}, 0.2)), 1e-7);

  // Masked features do not reach the output at all.
  at::Tensor changed = features.clone();
  changed.masked_fill_((mask == 0).unsqueeze(-1), 1000.0);
  const at::Tensor out = attention->forward(features, mask);
  const at::Tensor out_changed = attention->forward(changed, mask);
  EXPECT_TRUE(at::equal(out.slice(0, 0, 2), out_changed.slice(0, 0, 2)));
  // Without the mask they do.
  EXPECT_GT(max_abs_diff(attention->forward(features), attention->forward(changed)), 1.0);
}

TEST_F(AttentionFixture, EqualFeaturesPoolToThemselves) {
  const at::Tensor same = at::randn({2, 1, 6}, generator, at::kFloat).expand({2, 5, 6});
  EXPECT_LT(max_abs_diff(attention->forward(same), same.select(1, 0)), 1e-6);
}

TEST_F(AttentionFixture, ParametersAreNamedLikePyTorch) {
  std::vector<std::string> names;
  for (const auto& p : attention->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"affine1.weight", "affine1.bias", "affine2.weight"}));
  EXPECT_EQ(attention->affine1->weight.sizes(), (std::vector<std::int64_t>{4, 6}));
  EXPECT_TRUE(at::equal(attention->affine1->bias, at::zeros({4})));
}

TEST_F(AttentionFixture, RejectsWrongShapes) {
  EXPECT_THROW(attention->forward(at::zeros({5, 6})), Error);
  EXPECT_THROW(attention->forward(features, at::ones({3, 4})), Error);
}

}  // namespace
}  // namespace rsdist::models
