// GMF / MLP / NeuMF and the seed's NCF on their own: every item scored at once equals the
// pairwise forward, the parameter names --init_from relies on, the official initialisation's
// scales, and NeuMF's output layer formed from pretrained GMF and MLP outputs.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "models/ncf_model.hpp"
#include "models/neumf_model.hpp"

namespace rsdist::models {
namespace {

std::set<std::string> names(torch::nn::Module& m) {
  std::set<std::string> out;
  for (const auto& p : m.named_parameters()) out.insert(p.key());
  return out;
}

NeuMfOptions options(NeuMfKind kind, std::vector<std::int64_t> layers = {16, 8, 4}) {
  NeuMfOptions o;
  o.kind = kind;
  o.num_users = 7;
  o.num_items = 11;
  o.factors = 3;
  o.layers = std::move(layers);
  o.init_seed = 5;
  return o;
}

// Every item of every user at once equals forward() on the expanded pairs.
void expect_score_all_matches_forward(NeuMfModel& model) {
  const std::int64_t users = model->options().num_users, items = model->options().num_items;
  const at::Tensor u = at::arange(users, at::kLong);
  const at::Tensor all = model->score_all_items(u);
  ASSERT_EQ(all.sizes(), (at::IntArrayRef{users, items}));
  const at::Tensor pair_users = u.repeat_interleave(items);
  const at::Tensor pair_items = at::arange(items, at::kLong).repeat({users});
  const at::Tensor pairwise = model->forward(pair_users, pair_items).view({users, items});
  EXPECT_TRUE(at::allclose(all, pairwise, 1e-5, 1e-6))
      << (all - pairwise).abs().max().item<double>();
}

TEST(NeuMfModel, ScoringEveryItemEqualsThePairwiseForwardForEachVariant) {
  for (const NeuMfKind kind : {NeuMfKind::kGmf, NeuMfKind::kMlp, NeuMfKind::kNeuMf}) {
    NeuMfModel model(options(kind));
    // Larger weights than the N(0, 0.01) start, so that the comparison is not between zeros.
    for (auto& p : model->parameters()) p.data().uniform_(-1, 1);
    expect_score_all_matches_forward(model);
  }
  // A tower of one width (no hidden layer) and a user slice smaller than the users.
  NeuMfOptions o = options(NeuMfKind::kNeuMf, {6});
  o.num_items = 400000;  // 2^20 / 400000 = 2 users per slice
  o.num_users = 5;
  NeuMfModel wide(o);
  for (auto& p : wide->parameters()) p.data().uniform_(-1, 1);
  const at::Tensor u = at::tensor({4, 0, 3}, at::kLong);
  const at::Tensor all = wide->score_all_items(u);
  const at::Tensor some = at::tensor({0, 17, 399999}, at::kLong);
  for (std::int64_t r = 0; r < 3; ++r) {
    const at::Tensor pair = wide->forward(u[r].repeat({3}), some);
    EXPECT_TRUE(at::allclose(all[r].index_select(0, some), pair, 1e-5, 1e-6));
  }
}

TEST(NeuMfModel, SharesParameterNamesAcrossVariantsForPretraining) {
  NeuMfModel gmf(options(NeuMfKind::kGmf)), mlp(options(NeuMfKind::kMlp)),
      neumf(options(NeuMfKind::kNeuMf));
  EXPECT_EQ(names(*gmf),
            (std::set<std::string>{"gmf_user.weight", "gmf_item.weight", "gmf_out.weight",
                                   "gmf_out.bias"}));
  EXPECT_EQ(names(*mlp), (std::set<std::string>{"mlp_user.weight", "mlp_item.weight",
                                                "mlp_tower.0.weight", "mlp_tower.0.bias",
                                                "mlp_tower.1.weight", "mlp_tower.1.bias",
                                                "mlp_out.weight", "mlp_out.bias"}));
  std::set<std::string> fused = names(*gmf);
  for (const auto& n : names(*mlp)) fused.insert(n);
  for (const char* head : {"gmf_out.weight", "gmf_out.bias", "mlp_out.weight", "mlp_out.bias"})
    fused.erase(head);
  fused.insert("out.weight");
  fused.insert("out.bias");
  EXPECT_EQ(names(*neumf), fused);
  // Sizes: embeddings of factors and layers[0] / 2, the tower 16 -> 8 -> 4, the head 3 + 4.
  EXPECT_EQ(neumf->named_parameters()["mlp_user.weight"].sizes(), (at::IntArrayRef{7, 8}));
  EXPECT_EQ(neumf->named_parameters()["mlp_tower.1.weight"].sizes(), (at::IntArrayRef{4, 8}));
  EXPECT_EQ(neumf->named_parameters()["out.weight"].sizes(), (at::IntArrayRef{1, 7}));
}

TEST(NeuMfModel, InitialisesAsTheOfficialCodeFromItsSeed) {
  NeuMfOptions o = options(NeuMfKind::kNeuMf, {64, 32, 16, 8});
  o.factors = 8;
  o.num_users = 2000;
  o.num_items = 3000;
  NeuMfModel a(o), b(o);
  auto p = a->named_parameters();
  for (const auto& item : b->named_parameters()) EXPECT_TRUE(at::equal(p[item.key()], item.value()));
  // N(0, 0.01) embeddings.
  EXPECT_NEAR(p["gmf_item.weight"].std().item<double>(), 0.01, 5e-4);
  EXPECT_NEAR(p["mlp_user.weight"].mean().item<double>(), 0.0, 5e-4);
  // Glorot uniform tower: bound sqrt(6 / (64 + 32)) = 0.25, zero biases.
  EXPECT_LE(p["mlp_tower.0.weight"].abs().max().item<double>(), 0.25);
  EXPECT_GT(p["mlp_tower.0.weight"].abs().max().item<double>(), 0.24);
  EXPECT_EQ(p["mlp_tower.0.bias"].abs().sum().item<double>(), 0.0);
  // LeCun uniform output over 8 + 8 inputs: bound sqrt(3 / 16).
  EXPECT_LE(p["out.weight"].abs().max().item<double>(), std::sqrt(3.0 / 16.0));
  o.init_seed = 6;
  NeuMfModel c(o);
  EXPECT_FALSE(at::equal(p["gmf_user.weight"], c->named_parameters()["gmf_user.weight"]));
}

TEST(NeuMfModel, FusesPretrainedOutputsAsThePaper) {
  NeuMfModel neumf(options(NeuMfKind::kNeuMf));
  const at::Tensor gw = at::tensor({1.0F, 2.0F, 3.0F}).view({1, 3});
  const at::Tensor mw = at::tensor({4.0F, 5.0F, 6.0F, 7.0F}).view({1, 4});
  ASSERT_TRUE(neumf->set_pretrained_output(gw, at::tensor({0.5F}), mw, at::tensor({1.5F})));
  auto p = neumf->named_parameters();
  EXPECT_TRUE(at::equal(p["out.weight"],
                        at::tensor({0.5F, 1.0F, 1.5F, 2.0F, 2.5F, 3.0F, 3.5F}).view({1, 7})));
  EXPECT_FLOAT_EQ(p["out.bias"].item<float>(), 1.0F);
  // Not NeuMF, or a tensor missing: nothing changes.
  NeuMfModel gmf(options(NeuMfKind::kGmf));
  EXPECT_FALSE(gmf->set_pretrained_output(gw, at::tensor({0.5F}), mw, at::tensor({1.5F})));
  EXPECT_FALSE(neumf->set_pretrained_output(gw, at::Tensor(), mw, at::tensor({1.5F})));
  EXPECT_ANY_THROW(neumf->set_pretrained_output(mw, at::tensor({0.5F}), mw, at::tensor({1.5F})));
}

TEST(NcfModel, ScoresEveryItemAsThePairwiseForwardAndNamesTheSeedsModules) {
  NcfOptions o;
  o.num_users = 6;
  o.num_items = 9;
  o.embed_dim = 4;
  o.mlp_dims = {8, 5};
  o.init_seed = 3;
  NcfModel model(o);
  model->eval();
  EXPECT_EQ(names(*model),
            (std::set<std::string>{"embedding.weight", "mlp.0.weight", "mlp.0.bias",
                                   "mlp.1.weight", "mlp.1.bias", "mlp.4.weight", "mlp.4.bias",
                                   "mlp.5.weight", "mlp.5.bias", "fc.weight", "fc.bias"}));
  // One table for both fields: users then items.
  EXPECT_EQ(model->named_parameters()["embedding.weight"].sizes(), (at::IntArrayRef{15, 4}));
  const at::Tensor u = at::arange(6, at::kLong);
  const at::Tensor all = model->score_all_items(u);
  const at::Tensor pairwise =
      model->forward(u.repeat_interleave(9), at::arange(9, at::kLong).repeat({6})).view({6, 9});
  EXPECT_TRUE(at::allclose(all, pairwise, 1e-6, 1e-7));
  // Item i's row is table row U + i.
  const at::Tensor table = model->named_parameters()["embedding.weight"];
  table.data()[6 + 2].fill_(100.0F);
  EXPECT_FALSE(at::allclose(model->score_all_items(u).select(1, 2), all.select(1, 2)));
  EXPECT_TRUE(at::allclose(model->score_all_items(u).select(1, 3), all.select(1, 3)));
}

}  // namespace
}  // namespace rsdist::models
