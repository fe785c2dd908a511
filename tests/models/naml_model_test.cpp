#include "models/naml_model.hpp"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "models/click_losses.hpp"
#include "models/naml_test_data.hpp"
#include "support/error_of.hpp"

namespace rsdist::models {
namespace {
using testing::make_click_batch;
using testing::small_batch;
using testing::small_naml_options;

double max_abs_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.detach().to(at::kCPU, at::kDouble) - b.detach().to(at::kCPU, at::kDouble))
      .abs()
      .max()
      .item<double>();
}

// The small batch (sizes shared by every small_naml_options model).
ClickBatch small_click_batch(bool deduplicate) {
  const auto small = small_batch(small_naml_options(ClickPredictorKind::kDotProduct, true));
  return make_click_batch(small.table, small.history_ids, small.candidate_ids, deduplicate);
}

using rsdist::testing::error_of;

// ---- options ----------------------------------------------------------------------------------

TEST(NamlOptions, ValidationNamesTheOption) {
  const std::vector<std::pair<std::function<void(NamlOptions&)>, std::string>> cases = {
      {[](NamlOptions& o) { o.word_embedding = at::Tensor(); }, "word_embedding is missing"},
      {[](NamlOptions& o) { o.word_embedding = at::zeros({4}); }, "word_embedding must be"},
      {[](NamlOptions& o) {
         o.word_embedding = at::zeros({0, 3});
       },
       "word_embedding must be"},
      {[](NamlOptions& o) {
         o.word_embedding = at::zeros({4, 3}, at::kLong);
       },
       "word_embedding must hold floating-point"},
      {[](NamlOptions& o) { o.categories = 0; }, "categories must be positive, got 0"},
      {[](NamlOptions& o) { o.subcategories = -1; }, "subcategories must be positive"},
      {[](NamlOptions& o) { o.category_embedding_dim = 0; }, "category_embedding_dim must be"},
      {[](NamlOptions& o) { o.cnn_kernel_num = 0; }, "cnn_kernel_num must be positive"},
      {[](NamlOptions& o) { o.cnn_window_size = 0; }, "cnn_window_size must be positive"},
      {[](NamlOptions& o) { o.cnn_window_size = 4; }, "cnn_window_size must be odd"},
      {[](NamlOptions& o) { o.attention_dim = 0; }, "attention_dim must be positive"},
      {[](NamlOptions& o) { o.dropout = 1.0; }, "dropout must be in [0, 1), got 1"},
      {[](NamlOptions& o) { o.dropout = -0.1; }, "dropout must be in [0, 1)"},
  };
  for (const auto& [mutate, expected] : cases) {
    NamlOptions options = small_naml_options(ClickPredictorKind::kDotProduct, true);
    mutate(options);
    const std::string message = error_of([&] { NamlModel model(options); });
    EXPECT_NE(message.find("NAML option " + expected.substr(0, expected.find(' '))),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  }
  EXPECT_NO_THROW(validate_naml_options(small_naml_options(ClickPredictorKind::kMlp, false)));
}

TEST(NamlOptions, ClickPredictorNames) {
  for (const auto kind : {ClickPredictorKind::kDotProduct, ClickPredictorKind::kMlp}) {
    EXPECT_EQ(click_predictor_from_name(click_predictor_name(kind)), kind);
  }
  EXPECT_EQ(click_predictor_name(ClickPredictorKind::kDotProduct), "dot_product");
  const std::string message = error_of([] { click_predictor_from_name("cosine"); });
  EXPECT_NE(message.find("click_predictor must be dot_product or mlp, got 'cosine'"),
            std::string::npos)
      << message;
}

// ---- structure --------------------------------------------------------------------------------

TEST(NamlModel, ShapesOfEveryPiece) {
  for (const auto kind : {ClickPredictorKind::kDotProduct, ClickPredictorKind::kMlp}) {
    NamlModel model(small_naml_options(kind, true));
    model->eval();
    const ClickBatch batch = small_click_batch(true);
    const std::int64_t distinct = batch.news_ids.size(0);
    const at::Tensor news = model->encode_news(batch.news);
    EXPECT_EQ(news.sizes(), (std::vector<std::int64_t>{distinct, 16}));
    const at::Tensor history =
        news.index_select(0, batch.history_index.reshape(-1)).view({3, 5, 16});
    const at::Tensor users = model->encode_users(history, batch.history_mask);
    EXPECT_EQ(users.sizes(), (std::vector<std::int64_t>{3, 16}));
    const at::Tensor candidates =
        news.index_select(0, batch.candidate_index.reshape(-1)).view({3, 5, 16});
    const at::Tensor scores = model->score(users, candidates);
    EXPECT_EQ(scores.sizes(), (std::vector<std::int64_t>{3, 5}));
    const at::Tensor logits = model->forward(batch);
    EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{3, 5}));
    EXPECT_TRUE(at::isfinite(logits).all().item<bool>());
    // forward is exactly the three pieces put together.
    EXPECT_LT(max_abs_diff(logits, scores), 1e-6);
    // Scoring other candidates for the same users: C is free.
    EXPECT_EQ(model->score(users, candidates.slice(1, 0, 2)).sizes(),
              (std::vector<std::int64_t>{3, 2}));
  }
}

TEST(NamlModel, ParameterNamesAreStableAndPyTorchLike) {
  NamlModel model(small_naml_options(ClickPredictorKind::kMlp, true));
  std::vector<std::string> names;
  for (const auto& p : model->named_parameters()) names.push_back(p.key());
  const std::vector<std::string> expected = {
      "news_encoder.word_embedding.weight",
      "news_encoder.title_conv.weight",
      "news_encoder.title_conv.bias",
      "news_encoder.abstract_conv.weight",
      "news_encoder.abstract_conv.bias",
      "news_encoder.title_attention.affine1.weight",
      "news_encoder.title_attention.affine1.bias",
      "news_encoder.title_attention.affine2.weight",
      "news_encoder.abstract_attention.affine1.weight",
      "news_encoder.abstract_attention.affine1.bias",
      "news_encoder.abstract_attention.affine2.weight",
      "news_encoder.category_embedding.weight",
      "news_encoder.subcategory_embedding.weight",
      "news_encoder.category_affine.weight",
      "news_encoder.category_affine.bias",
      "news_encoder.subcategory_affine.weight",
      "news_encoder.subcategory_affine.bias",
      "news_encoder.view_attention.affine1.weight",
      "news_encoder.view_attention.affine1.bias",
      "news_encoder.view_attention.affine2.weight",
      "user_encoder.attention.affine1.weight",
      "user_encoder.attention.affine1.bias",
      "user_encoder.attention.affine2.weight",
      "click_predictor.mlp.weight",
      "click_predictor.mlp.bias",
      "click_predictor.out.weight",
      "click_predictor.out.bias",
  };
  EXPECT_EQ(names, expected);
  EXPECT_EQ(model->news_encoder->title_conv->weight.sizes(),
            (std::vector<std::int64_t>{16, 12, 3}));
  EXPECT_EQ(model->click_predictor->mlp->weight.sizes(), (std::vector<std::int64_t>{8, 32}));
  // The dot product has no parameters of its own.
  NamlModel dot(small_naml_options(ClickPredictorKind::kDotProduct, true));
  EXPECT_EQ(dot->named_parameters().size(), expected.size() - 4);
}

TEST(NamlModel, InitialisationFollowsTheDocumentedScheme) {
  const NamlOptions options = small_naml_options(ClickPredictorKind::kMlp, true);
  NamlModel model(options);
  const auto& encoder = model->news_encoder;
  // Word vectors as given, <PAD> row zeroed.
  const at::Tensor words = encoder->word_embedding->weight;
  EXPECT_TRUE(at::equal(words[0], at::zeros({12})));
  EXPECT_TRUE(at::equal(words.slice(0, 1), options.word_embedding.slice(0, 1)));
  EXPECT_GT(options.word_embedding[0].abs().sum().item<double>(), 0.0);  // the copy was changed
  // Zero biases, category embeddings within 0.1, Xavier bounds.
  EXPECT_TRUE(at::equal(encoder->title_conv->bias, at::zeros({16})));
  EXPECT_TRUE(at::equal(model->click_predictor->out->bias, at::zeros({1})));
  EXPECT_LE(encoder->category_embedding->weight.abs().max().item<double>(), 0.1);
  const double conv_bound = std::sqrt(2.0) * std::sqrt(6.0 / (12 * 3 + 16 * 3));
  EXPECT_LE(encoder->title_conv->weight.abs().max().item<double>(), conv_bound);
  EXPECT_GT(encoder->title_conv->weight.abs().max().item<double>(), 0.8 * conv_bound);
  const double tanh_bound = 5.0 / 3.0 * std::sqrt(6.0 / (16 + 8));
  const at::Tensor affine1 = encoder->view_attention->affine1->weight;
  EXPECT_LE(affine1.abs().max().item<double>(), tanh_bound);
  EXPECT_GT(affine1.abs().max().item<double>(), 0.7 * tanh_bound);
}

TEST(NamlModel, InitialWeightsDependOnlyOnTheSeed) {
  const auto parameters = [](std::uint64_t seed, std::uint64_t global_seed) {
    at::manual_seed(global_seed);  // the process-wide generator must not matter
    NamlModel model(small_naml_options(ClickPredictorKind::kMlp, true, seed));
    std::map<std::string, at::Tensor> out;
    for (const auto& p : model->named_parameters()) out[p.key()] = p.value().detach().clone();
    return out;
  };
  const auto a = parameters(5, 1), b = parameters(5, 2), c = parameters(6, 1);
  std::size_t differing = 0;
  for (const auto& [name, tensor] : a) {
    EXPECT_TRUE(at::equal(tensor, b.at(name))) << name;
    if (!at::equal(tensor, c.at(name))) ++differing;
  }
  // Everything drawn at random differs with another seed (not the word vectors or zero biases).
  EXPECT_EQ(differing, 16u);
}

// ---- behaviour --------------------------------------------------------------------------------

TEST(NamlModel, PaddedHistorySlotsAreIgnoredOnlyWhenMasked) {
  for (const bool mask_history : {true, false}) {
    NamlModel model(small_naml_options(ClickPredictorKind::kDotProduct, mask_history));
    model->eval();
    // Every slot lists its own article, so the padded slots' rows can be changed alone.
    const ClickBatch batch = small_click_batch(/*deduplicate=*/false);
    ClickBatch changed = batch;
    changed.news = testing::select_news(batch.news, at::arange(batch.news_ids.size(0)));
    const at::Tensor padded_rows = batch.history_index.masked_select(batch.history_mask == 0);
    ASSERT_EQ(padded_rows.size(0), 3 + 5);  // user 1 has 3 padded slots, user 2 five
    const at::Tensor other = at::tensor({5, 6, 7, 8, 9, 10, 1, 2}, at::kLong);
    changed.news.title.index_copy_(0, padded_rows, batch.news.title.index_select(0, other));
    changed.news.abstract.index_copy_(0, padded_rows, batch.news.abstract.index_select(0, other));
    changed.news.category.index_fill_(0, padded_rows, 4);
    const at::Tensor logits = model->forward(batch);
    const at::Tensor changed_logits = model->forward(changed);
    // Users 0 and 1 have real history. (User 2 has none: with every slot masked it gets uniform
    // weights over its padding, so its logits move in both settings.)
    const double diff = max_abs_diff(logits.slice(0, 0, 2), changed_logits.slice(0, 0, 2));
    if (mask_history) {
      EXPECT_LT(diff, 1e-6);
    } else {
      EXPECT_GT(diff, 1e-3);
    }
  }
}

TEST(NamlModel, FrozenWordEmbeddingGetsNoGradient) {
  for (const bool freeze : {true, false}) {
    NamlOptions options = small_naml_options(ClickPredictorKind::kDotProduct, true);
    options.freeze_word_embedding = freeze;
    NamlModel model(options);
    const at::Tensor words = model->news_encoder->word_embedding->weight;
    EXPECT_EQ(words.requires_grad(), !freeze);
    negative_log_softmax_loss(model->forward(small_click_batch(true))).backward();
    EXPECT_EQ(words.grad().defined(), !freeze);
    if (!freeze) {
      EXPECT_GT(words.grad().abs().sum().item<double>(), 0.0);
    }
    // Everything else learns either way.
    const at::Tensor conv_grad = model->news_encoder->title_conv->weight.grad();
    ASSERT_TRUE(conv_grad.defined());
    EXPECT_GT(conv_grad.abs().sum().item<double>(), 0.0);
  }
}

TEST(NamlModel, DropoutOnlyInTraining) {
  for (const auto kind : {ClickPredictorKind::kDotProduct, ClickPredictorKind::kMlp}) {
    NamlModel model(small_naml_options(kind, true));
    const ClickBatch batch = small_click_batch(true);
    model->eval();
    const at::Tensor eval_logits = model->forward(batch);
    EXPECT_TRUE(at::equal(model->forward(batch), eval_logits));
    model->train();
    at::manual_seed(3);
    const at::Tensor first = model->forward(batch);
    const at::Tensor second = model->forward(batch);
    EXPECT_GT(max_abs_diff(first, second), 1e-4);
    EXPECT_GT(max_abs_diff(first, eval_logits), 1e-4);
  }
  // With dropout 0, training mode computes what evaluation does.
  NamlOptions options = small_naml_options(ClickPredictorKind::kMlp, true);
  options.dropout = 0.0;
  NamlModel model(options);
  const ClickBatch batch = small_click_batch(true);
  const at::Tensor train_logits = model->forward(batch);
  model->eval();
  EXPECT_TRUE(at::equal(model->forward(batch), train_logits));
}

// Logits, loss and every gradient of `model` on `batch` (eval mode, no dropout).
struct ForwardBackward {
  at::Tensor logits, loss;
  std::map<std::string, at::Tensor> grads;
};
ForwardBackward forward_backward(NamlModel& model, const ClickBatch& batch) {
  model->eval();
  model->zero_grad();
  ForwardBackward out;
  out.logits = model->forward(batch);
  out.loss = negative_log_softmax_loss(out.logits) + negative_log_sigmoid_loss(out.logits);
  out.loss.backward();
  for (const auto& p : model->named_parameters()) out.grads[p.key()] = p.value().grad().clone();
  return out;
}

TEST(NamlModel, DeduplicatedAndExpandedBatchesAgree) {
  for (const auto kind : {ClickPredictorKind::kDotProduct, ClickPredictorKind::kMlp}) {
    NamlModel model(small_naml_options(kind, kind == ClickPredictorKind::kDotProduct));
    const ClickBatch unique = small_click_batch(true);
    const ClickBatch expanded = small_click_batch(false);
    ASSERT_EQ(expanded.news_ids.size(0), 30);
    ASSERT_LT(unique.news_ids.size(0), 15);
    const ForwardBackward a = forward_backward(model, unique);
    const ForwardBackward b = forward_backward(model, expanded);
    EXPECT_LT(max_abs_diff(a.logits, b.logits), 1e-6);
    EXPECT_LT(max_abs_diff(a.loss, b.loss), 1e-6);
    for (const auto& [name, grad] : a.grads) {
      ASSERT_TRUE(grad.defined()) << name;
      EXPECT_LT(max_abs_diff(grad, b.grads.at(name)), 1e-6) << name;
    }
  }
}

TEST(NamlModel, RejectsMisshapenBatches) {
  NamlModel model(small_naml_options(ClickPredictorKind::kDotProduct, true));
  const ClickBatch good = small_click_batch(true);
  ClickBatch bad = good;
  bad.history_index = good.history_index.reshape(-1);
  EXPECT_NE(error_of([&] { model->forward(bad); }).find("history_index must be [B, H]"),
            std::string::npos);
  bad = good;
  bad.candidate_index = good.candidate_index.slice(0, 0, 2);
  EXPECT_NE(
      error_of([&] { model->forward(bad); }).find("candidate_index must be [B, C] with B = 3"),
      std::string::npos);
  bad = good;
  bad.history_mask = good.history_mask.slice(1, 0, 4);
  EXPECT_NE(error_of([&] { model->forward(bad); }).find("history mask must be [B, H] = [3, 5]"),
            std::string::npos);
  bad = good;
  bad.news.category = good.news.category.slice(0, 1);
  EXPECT_NE(error_of([&] { model->forward(bad); }).find("category must be [U]"), std::string::npos);
  bad = good;
  bad.news.abstract = at::Tensor();
  EXPECT_NE(error_of([&] { model->forward(bad); }).find("abstract must be [U, La]"),
            std::string::npos);
}

// ---- devices and precision --------------------------------------------------------------------

// Enables autocast for one device type to `dtype` for its lifetime (what the trainer's bf16 mode
// will do), restoring the previous state.
class AutocastScope {
 public:
  AutocastScope(at::DeviceType device, at::ScalarType dtype)
      : device_(device),
        was_enabled_(at::autocast::is_autocast_enabled(device)),
        previous_dtype_(at::autocast::get_autocast_dtype(device)) {
    at::autocast::set_autocast_dtype(device_, dtype);
    at::autocast::set_autocast_enabled(device_, true);
  }
  ~AutocastScope() {
    at::autocast::set_autocast_enabled(device_, was_enabled_);
    at::autocast::set_autocast_dtype(device_, previous_dtype_);
    at::autocast::clear_cache();
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  at::DeviceType device_;
  bool was_enabled_;
  at::ScalarType previous_dtype_;
};

// bf16 autocast on `device`: runs forward and backward, losses stay float32 and close to fp32.
void check_bf16_autocast(NamlModel& model, const ClickBatch& batch) {
  model->eval();
  const at::Tensor reference = model->forward(batch);
  at::Tensor logits, loss;
  {
    const AutocastScope autocast(batch.history_index.device().type(), at::kBFloat16);
    logits = model->forward(batch);
    loss = negative_log_softmax_loss(logits);
  }
  EXPECT_EQ(logits.scalar_type(), at::kBFloat16);  // autocast was in effect
  EXPECT_EQ(loss.scalar_type(), at::kFloat);
  EXPECT_EQ(negative_log_sigmoid_loss(logits).scalar_type(), at::kFloat);
  EXPECT_LT(max_abs_diff(logits, reference), 0.05 * reference.abs().max().item<double>() + 1e-2);
  loss.backward();
  const at::Tensor grad = model->news_encoder->title_conv->weight.grad();
  ASSERT_TRUE(grad.defined());
  EXPECT_EQ(grad.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::isfinite(grad).all().item<bool>());
}

TEST(NamlModel, RunsUnderBf16AutocastOnCpu) {
  NamlModel model(small_naml_options(ClickPredictorKind::kDotProduct, true));
  check_bf16_autocast(model, small_click_batch(true));
}

TEST(NamlModel, CudaMatchesCpu) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  for (const auto kind : {ClickPredictorKind::kDotProduct, ClickPredictorKind::kMlp}) {
    NamlModel model(small_naml_options(kind, true));
    model->eval();
    const ClickBatch batch = small_click_batch(true);
    const at::Tensor cpu_logits = model->forward(batch);
    model->to(at::Device(at::kCUDA, 0));
    const ClickBatch cuda_batch = testing::batch_to(batch, at::Device(at::kCUDA, 0));
    const at::Tensor cuda_logits = model->forward(cuda_batch);
    EXPECT_TRUE(cuda_logits.is_cuda());
    // cuDNN may run the convolutions in TF32 (PyTorch's default): ~1e-3 relative.
    EXPECT_LT(max_abs_diff(cuda_logits, cpu_logits),
              2e-3 * (1.0 + cpu_logits.abs().max().item<double>()));
    check_bf16_autocast(model, cuda_batch);
  }
}

}  // namespace
}  // namespace rsdist::models
