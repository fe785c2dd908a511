// S3-Rec / SASRec model: the official initialisation and table sizes, the causal mask of
// fine-tuning against the bidirectional one of pretraining, and CUDA against the CPU where a
// device exists.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "models/s3rec_model.hpp"

namespace rsdist::models {
namespace {

S3RecOptions options(bool pretraining) {
  S3RecOptions o;
  o.num_items = 40;
  o.num_attributes = 9;
  o.pretraining = pretraining;
  o.hidden_size = 16;
  o.max_seq_length = 6;
  o.init_seed = 2;
  return o;
}

TEST(S3RecModel, TablesAndInitialisationAreTheOfficialOnes) {
  S3RecModel model(options(true));
  EXPECT_EQ(model->item_embeddings->weight.size(0), 42);  // 0 padding, 1..40, 41 the mask
  EXPECT_EQ(model->mask_id(), 41);
  EXPECT_EQ(model->attribute_embeddings->weight.size(0), 9);
  for (const auto& p : model->named_parameters()) {
    const std::string& name = p.key();
    const at::Tensor& v = p.value();
    if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0) {
      EXPECT_EQ(v.abs().max().item<float>(), 0.0f) << name;
    } else if (name.find("LayerNorm.") == 0 || name.find(".norm") != std::string::npos) {
      EXPECT_TRUE(v.eq(1).all().item<bool>()) << name;
    } else {
      EXPECT_NEAR(v.std().item<double>(), 0.02, 0.006) << name;  // N(0, 0.02), padding rows too
    }
  }
  // The same seed gives the same weights; the fine-tuning model has no pretraining heads.
  S3RecModel again(options(true));
  EXPECT_TRUE(at::equal(model->item_embeddings->weight, again->item_embeddings->weight));
  S3RecModel sasrec(options(false));
  EXPECT_EQ(sasrec->named_parameters().find("aap_norm.weight"), nullptr);
  EXPECT_EQ(sasrec->named_parameters().find("attribute_embeddings.weight"), nullptr);
}

TEST(S3RecModel, FinetuningIsCausalAndPretrainingSeesBothSides) {
  S3RecModel model(options(false));
  model->eval();
  const at::Tensor a = at::tensor({0, 0, 3, 7, 9, 12}, at::kLong).view({1, 6});
  at::Tensor b = a.clone();
  b[0][5] = 30;  // only the last item differs
  const at::NoGradGuard no_grad;
  const at::Tensor ca = model->encode(a, /*causal=*/true), cb = model->encode(b, true);
  EXPECT_TRUE(at::allclose(ca.narrow(1, 0, 5), cb.narrow(1, 0, 5)));
  EXPECT_FALSE(at::allclose(ca.select(1, 5), cb.select(1, 5)));
  EXPECT_EQ(ca.narrow(1, 0, 2).abs().max().item<float>(), 0.0f);  // padding rows are zero
  const at::Tensor ba = model->encode(a, /*causal=*/false), bb = model->encode(b, false);
  EXPECT_FALSE(at::allclose(ba.select(1, 2), bb.select(1, 2)));
  // A user is scored by the last position of the causal output, against ids 0..I.
  EXPECT_TRUE(at::allclose(model->user_representation(a), ca.select(1, 5)));
  EXPECT_EQ(model->score_items(model->user_representation(a)).size(1), 41);
}

TEST(S3RecModel, CudaMatchesCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  S3RecModel cpu(options(false)), cuda(options(false));
  cuda->to(at::kCUDA);
  cpu->eval();
  cuda->eval();
  const at::Tensor items = at::tensor({0, 0, 3, 7, 9, 12, 0, 5, 6, 1, 2, 40}, at::kLong).view({2, 6});
  const at::NoGradGuard no_grad;
  EXPECT_TRUE(at::allclose(cpu->user_representation(items),
                           cuda->user_representation(items.cuda()).cpu(), 1e-4, 1e-5));
}

}  // namespace
}  // namespace rsdist::models
