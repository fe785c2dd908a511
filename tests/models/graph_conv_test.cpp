#include "models/graph_conv.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>
#include <torch/nn/module.h>

#include <cmath>
#include <functional>
#include <set>
#include <string>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {
namespace {

// The toy block, as seq::sample_neighbors lays it out: 5 sources, the first 3 are the targets.
//   target 0 <- sources 1, 3          target 1 <- sources 0, 2, 4          target 2: no neighbour
// Sources 3 and 4 are no edge's target.
constexpr std::int64_t kSources = 5;
constexpr std::int64_t kTargets = 3;

at::Tensor f64(std::initializer_list<double> values, at::IntArrayRef shape) {
  return at::tensor(std::vector<double>(values), at::kDouble).view(shape);
}

at::Tensor toy_features() {  // [5, 2]
  return f64({1, 0, 0, 1, 1, 1, 2, 0, 0, 3}, {kSources, 2});
}

at::Tensor edge_index_of(std::vector<std::int64_t> sources, std::vector<std::int64_t> targets) {
  const auto count = static_cast<std::int64_t>(sources.size());
  sources.insert(sources.end(), targets.begin(), targets.end());
  return at::tensor(sources, at::kLong).view({2, count});
}

at::Tensor toy_edges() { return edge_index_of({1, 3, 0, 2, 4}, {0, 0, 1, 1, 1}); }

// Row of x as a tensor, for the hand-written sums below.
at::Tensor row(const at::Tensor& x, std::int64_t i) { return x[i]; }

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// Not symmetric, so that W and W^T give different results.
const at::Tensor& weight_a() {
  static const at::Tensor w = f64({1, 2, 0, 1}, {2, 2});
  return w;
}
const at::Tensor& weight_b() {
  static const at::Tensor w = f64({0.5, 0, -1, 3}, {2, 2});
  return w;
}

GCNConv make_gcn() {
  at::Generator generator = make_init_generator(3);
  GCNConv gcn(2, 2, generator);
  gcn->to(at::kDouble);
  const at::NoGradGuard no_grad;
  gcn->lin->weight.copy_(weight_a());
  gcn->bias.copy_(f64({0.1, -0.2}, {2}));
  return gcn;
}

SAGEConv make_sage(bool normalize) {
  at::Generator generator = make_init_generator(4);
  SAGEConv sage(2, 2, generator, normalize);
  sage->to(at::kDouble);
  const at::NoGradGuard no_grad;
  sage->lin_l->weight.copy_(weight_a());
  sage->lin_l->bias.copy_(f64({0.25, -0.5}, {2}));
  sage->lin_r->weight.copy_(weight_b());
  return sage;
}

// GCN's expected output from the propagated features p [5, 2] (in x's space): p W^T + bias.
at::Tensor gcn_expected(const std::vector<at::Tensor>& propagated) {
  return at::matmul(at::stack(propagated), weight_a().t()) + f64({0.1, -0.2}, {2});
}

TEST(GCNConvTest, UnweightedMatchesHandComputedNormalisation) {
  GCNConv gcn = make_gcn();
  const at::Tensor x = toy_features();
  // Degrees with one self-loop per node: 1 + 2, 1 + 3, then 1 for the rest.
  const double d0 = 3, d1 = 4;
  const std::vector<at::Tensor> p = {
      row(x, 0) / d0 + row(x, 1) / std::sqrt(d1 * d0) + row(x, 3) / std::sqrt(d0),
      row(x, 1) / d1 + row(x, 0) / std::sqrt(d0 * d1) + row(x, 2) / std::sqrt(d1) +
          row(x, 4) / std::sqrt(d1),
      row(x, 2),  // a target without neighbours keeps only its loop (degree 1)
      row(x, 3),  // sources that are no edge's target: degree 1 from their loop
      row(x, 4)};
  const at::Tensor out = gcn->forward(x, toy_edges());
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{kSources, 2}));  // a row per node, as PyG
  EXPECT_LT(max_abs_diff(out, gcn_expected(p)), 1e-12);
}

TEST(GCNConvTest, EdgeWeightsEnterDegreesAndMessages) {
  GCNConv gcn = make_gcn();
  const at::Tensor x = toy_features();
  const at::Tensor w = f64({2, 0.5, 1, 3, 1}, {5});
  const double d0 = 1 + 2 + 0.5, d1 = 1 + 1 + 3 + 1;
  const std::vector<at::Tensor> p = {
      row(x, 0) / d0 + row(x, 1) * (2 / std::sqrt(d1 * d0)) + row(x, 3) * (0.5 / std::sqrt(d0)),
      row(x, 1) / d1 + row(x, 0) * (1 / std::sqrt(d0 * d1)) + row(x, 2) * (3 / std::sqrt(d1)) +
          row(x, 4) * (1 / std::sqrt(d1)),
      row(x, 2), row(x, 3), row(x, 4)};
  EXPECT_LT(max_abs_diff(gcn->forward(x, toy_edges(), w), gcn_expected(p)), 1e-12);
  // Unit weights are the unweighted layer.
  EXPECT_LT(max_abs_diff(gcn->forward(x, toy_edges(), at::ones({5}, at::kDouble)),
                         gcn->forward(x, toy_edges())),
            1e-14);
}

TEST(GCNConvTest, ExistingSelfLoopsAreReplacedNotDoubled) {
  GCNConv gcn = make_gcn();
  const at::Tensor x = toy_features();
  // The toy edges plus a self-loop 0 -> 0 (a node sampled as its own neighbour).
  const at::Tensor with_loop = edge_index_of({1, 3, 0, 0, 2, 4}, {0, 0, 0, 1, 1, 1});

  // Unweighted: the loop is the one add_remaining_self_loops would add anyway.
  EXPECT_LT(max_abs_diff(gcn->forward(x, with_loop), gcn->forward(x, toy_edges())), 1e-14);

  // Weighted: node 0's loop takes the existing loop's weight 4 instead of 1.
  const at::Tensor w = f64({2, 0.5, 4, 1, 3, 1}, {6});
  const double d0 = 4 + 2 + 0.5, d1 = 1 + 1 + 3 + 1;
  const std::vector<at::Tensor> p = {row(x, 0) * (4 / d0) + row(x, 1) * (2 / std::sqrt(d1 * d0)) +
                                         row(x, 3) * (0.5 / std::sqrt(d0)),
                                     row(x, 1) / d1 + row(x, 0) * (1 / std::sqrt(d0 * d1)) +
                                         row(x, 2) * (3 / std::sqrt(d1)) +
                                         row(x, 4) * (1 / std::sqrt(d1)),
                                     row(x, 2), row(x, 3), row(x, 4)};
  EXPECT_LT(max_abs_diff(gcn->forward(x, with_loop, w), gcn_expected(p)), 1e-12);
}

TEST(GCNConvTest, NoEdgesLeavesOnlyTheLoops) {
  GCNConv gcn = make_gcn();
  const at::Tensor x = toy_features();
  const at::Tensor none = at::zeros({2, 0}, at::kLong);
  EXPECT_LT(max_abs_diff(gcn->forward(x, none), gcn_expected({x[0], x[1], x[2], x[3], x[4]})),
            1e-14);
}

TEST(SAGEConvTest, MeanPlusRootWeightWithoutNormalisation) {
  SAGEConv sage = make_sage(/*normalize=*/false);
  const at::Tensor x = toy_features();
  const at::Tensor means =
      at::stack({(row(x, 1) + row(x, 3)) / 2, (row(x, 0) + row(x, 2) + row(x, 4)) / 3,
                 at::zeros({2}, at::kDouble)});  // target 2 has no neighbour: mean 0
  const at::Tensor expected = at::matmul(means, weight_a().t()) + f64({0.25, -0.5}, {2}) +
                              at::matmul(x.narrow(0, 0, kTargets), weight_b().t());
  const at::Tensor out = sage->forward(x, toy_edges(), kTargets);
  ASSERT_EQ(out.sizes(), (std::vector<std::int64_t>{kTargets, 2}));
  EXPECT_LT(max_abs_diff(out, expected), 1e-12);
  // The isolated target by itself: lin_l's bias plus its own root term.
  EXPECT_LT(max_abs_diff(out[2], f64({0.25, -0.5}, {2}) + at::mv(weight_b(), row(x, 2))), 1e-12);
}

TEST(SAGEConvTest, NormalisesEachRowToUnitLength) {
  SAGEConv plain = make_sage(/*normalize=*/false);
  SAGEConv normalised = make_sage(/*normalize=*/true);
  const at::Tensor x = toy_features();
  const at::Tensor raw = plain->forward(x, toy_edges(), kTargets);
  const at::Tensor out = normalised->forward(x, toy_edges(), kTargets);
  for (std::int64_t i = 0; i < kTargets; ++i) {
    const double norm = std::hypot(raw[i][0].item<double>(), raw[i][1].item<double>());
    EXPECT_LT(max_abs_diff(out[i], raw[i] / norm), 1e-12) << i;
    EXPECT_NEAR(at::linalg_vector_norm(out[i], 2).item<double>(), 1.0, 1e-12) << i;
  }
}

TEST(SAGEConvTest, AZeroRowStaysZeroUnderNormalisation) {
  SAGEConv sage = make_sage(/*normalize=*/true);
  {
    const at::NoGradGuard no_grad;
    sage->lin_l->bias.zero_();
  }
  at::Tensor x = toy_features();
  x[2].zero_();  // target 2: no neighbour and zero features -> an all-zero row before normalising
  const at::Tensor out = sage->forward(x, toy_edges(), kTargets);
  EXPECT_TRUE(at::equal(out[2], at::zeros({2}, at::kDouble)));
  EXPECT_TRUE(at::isfinite(out).all().item<bool>());
}

TEST(SAGEConvTest, NeighboursOutsideTheEdgeListDoNotMatter) {
  SAGEConv sage = make_sage(/*normalize=*/true);
  const at::Tensor x = toy_features();
  // Source 4 only feeds target 1: changing it moves row 1 and nothing else.
  at::Tensor changed = x.clone();
  changed[4].fill_(-7.0);
  const at::Tensor a = sage->forward(x, toy_edges(), kTargets);
  const at::Tensor b = sage->forward(changed, toy_edges(), kTargets);
  EXPECT_TRUE(at::equal(a[0], b[0]));
  EXPECT_TRUE(at::equal(a[2], b[2]));
  EXPECT_GT(max_abs_diff(a[1], b[1]), 1e-3);
}

TEST(GraphConvTest, ParametersAreNamedAsPyG) {
  at::Generator generator = make_init_generator(1);
  GCNConv gcn(4, 3, generator);
  SAGEConv sage(4, 3, generator);
  std::set<std::string> gcn_names, sage_names;
  for (const auto& item : gcn->named_parameters()) gcn_names.insert(item.key());
  for (const auto& item : sage->named_parameters()) sage_names.insert(item.key());
  EXPECT_EQ(gcn_names, (std::set<std::string>{"lin.weight", "bias"}));
  EXPECT_EQ(sage_names, (std::set<std::string>{"lin_l.weight", "lin_l.bias", "lin_r.weight"}));
  // PyG's initialisation: Glorot weight and zero bias for GCN, +-1/sqrt(in) for SAGE.
  EXPECT_TRUE(at::equal(gcn->bias, at::zeros({3})));
  EXPECT_LE(gcn->lin->weight.abs().max().item<double>(), std::sqrt(6.0 / 7.0));
  EXPECT_LE(sage->lin_l->weight.abs().max().item<double>(), 0.5);
  EXPECT_LE(sage->lin_r->weight.abs().max().item<double>(), 0.5);
  // Same seed, same weights.
  at::Generator again = make_init_generator(1);
  GCNConv gcn_again(4, 3, again);
  EXPECT_TRUE(at::equal(gcn->lin->weight, gcn_again->lin->weight));
}

TEST(GraphConvTest, GradientsFlowThroughBothLayers) {
  GCNConv gcn = make_gcn();
  SAGEConv sage = make_sage(/*normalize=*/true);
  const at::Tensor x = toy_features().requires_grad_(true);
  const at::Tensor w = f64({2, 0.5, 1, 3, 1}, {5});
  // As GCL4SR: GCN over all nodes, then SAGE from them onto the targets.
  const at::Tensor out = sage->forward(gcn->forward(x, toy_edges(), w), toy_edges(), kTargets);
  (out * f64({1, -2, 3, 0.5, -1, 2}, {3, 2})).sum().backward();
  for (const at::Tensor& grad :
       {x.grad(), gcn->lin->weight.grad(), gcn->bias.grad(), sage->lin_l->weight.grad(),
        sage->lin_l->bias.grad(), sage->lin_r->weight.grad()}) {
    ASSERT_TRUE(grad.defined());
    EXPECT_TRUE(at::isfinite(grad).all().item<bool>());
    EXPECT_GT(grad.abs().sum().item<double>(), 0.0);
  }
}

void expect_error_naming(const std::function<void()>& call, const std::string& fragment) {
  try {
    call();
    ADD_FAILURE() << "expected an rsdist::Error mentioning '" << fragment << "'";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.message()).find(fragment), std::string::npos) << error.message();
  }
}

TEST(GraphConvTest, RejectsMalformedInputsNamingTheLayer) {
  GCNConv gcn = make_gcn();
  SAGEConv sage = make_sage(true);
  const at::Tensor x = toy_features();
  const at::Tensor edges = toy_edges();
  expect_error_naming([&] { gcn->forward(x.narrow(1, 0, 1), edges); }, "GCNConv expects node");
  expect_error_naming([&] { gcn->forward(x, edges.view({1, 10})); }, "GCNConv expects edge_index");
  expect_error_naming([&] { gcn->forward(x, edges.to(at::kInt)); }, "GCNConv expects an int64");
  expect_error_naming([&] { gcn->forward(x, edges, at::ones({4}, at::kDouble)); },
                      "GCNConv expects edge_weight");
  expect_error_naming([&] { gcn->forward(x.narrow(0, 0, 4), edges); }, "GCNConv: edge_index");
  expect_error_naming([&] { sage->forward(x.view({10}), edges, kTargets); },
                      "SAGEConv expects node");
  expect_error_naming([&] { sage->forward(x, edges, kSources + 1); }, "SAGEConv: num_targets");
  // Target 1 is out of range for a block with a single target.
  expect_error_naming([&] { sage->forward(x, edges, 1); }, "SAGEConv: edge_index");
  expect_error_naming([&] { sage->forward(x, edge_index_of({-1}, {0}), kTargets); },
                      "SAGEConv: edge_index");
}

}  // namespace
}  // namespace rsdist::models
