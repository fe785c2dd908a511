// S3-Rec against a plain-PyTorch reference of the official module structure
// (tests/models/s3rec_reference.py): given the same weights and the same batches — built here by
// rsdist's own loader (src/loader/seq/s3rec_batches.hpp) from a small corpus with attributes —
// the four pretraining losses, their weighted sum, the fine-tuning loss, every gradient of both,
// and the sampled and full evaluation scores agree. Dropout is 0 (no mask crosses over). The
// C++ side computes the attribute losses from the logits and the item -> attribute CSR, the
// reference from sigmoids and dense multi-hot targets under nn.BCELoss, as the official code.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "data/seq/seq_corpus.hpp"
#include "loader/seq/s3rec_batches.hpp"
#include "models/s3rec_model.hpp"
#include "support/python_runner.hpp"
#include "support/s3rec_export.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::models {
namespace {

using TensorMap = std::map<std::string, at::Tensor>;
constexpr std::int64_t kLength = 8, kHidden = 16;

at::Tensor scalar(double v) { return at::scalar_tensor(v, at::kDouble); }

// 30 items, 13 attribute rows (ids 1..12), users of 3..14 items: windows shorter and longer
// than L, left padding, 1-item pretraining samples.
seq::SeqCorpus small_corpus() {
  seq::SequenceCorpus sequences;
  at::Generator g = at::detail::createCPUGenerator(11);
  for (std::int64_t u = 0; u < 9; ++u) {
    const std::int64_t n = 3 + (u * 5) % 12;
    const at::Tensor items = at::randperm(30, g).narrow(0, 0, n) + 1;
    std::vector<std::int32_t> row;
    for (std::int64_t i = 0; i < n; ++i) row.push_back(static_cast<std::int32_t>(items[i].item<std::int64_t>()));
    sequences.append(u + 1, row);
  }
  seq::SeqCorpus corpus = seq::build_seq_corpus(sequences, seq::WitgNormalization::kNone);
  std::string json = "{";
  for (int item = 1; item <= corpus.sequences.max_item(); ++item) {
    json += fmt::format("{}\"{}\": [{}, {}]", item == 1 ? "" : ", ", item, 1 + item % 12,
                        1 + (item * 7) % 12);
  }
  corpus.attributes = seq::parse_item_attributes(json + "}", "test.json",
                                                 seq::items_present(corpus.sequences));
  return corpus;
}

std::vector<std::int64_t> iota(std::size_t n) {
  std::vector<std::int64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::int64_t>(i);
  return ids;
}

TensorMap export_s3rec() {
  const seq::SeqCorpus corpus = small_corpus();
  S3RecOptions o;
  o.num_items = corpus.sequences.max_item();
  o.num_attributes = corpus.attributes.num_attributes;
  o.pretraining = true;
  o.hidden_size = kHidden;
  o.max_seq_length = kLength;
  o.hidden_dropout = 0;
  o.attention_dropout = 0;
  o.init_seed = 3;
  S3RecModel model(o);
  // Weights well away from the N(0, 0.02) start, so that every gradient is exercised.
  at::Generator g = at::detail::createCPUGenerator(5);
  for (auto& p : model->parameters()) p.data().normal_(0, 0.3, g);
  model->set_item_attributes(at::tensor(corpus.attributes.offsets),
                             at::tensor(corpus.attributes.attributes));

  loader::S3RecBatchOptions bo;
  bo.max_seq_length = kLength;
  bo.mask_p = 0.3;
  bo.seed = 9;
  const auto samples = loader::s3rec_pretrain_samples(corpus, kLength);
  const std::vector<std::int64_t> picked = {0, 3, 7, 12, 20, 31, static_cast<std::int64_t>(samples.size()) - 1};
  const S3RecPretrainBatch pre = loader::build_s3rec_pretrain_batch(corpus, samples, picked, bo);
  const auto rows = loader::s3rec_finetune_rows(corpus);
  const S3RecFinetuneBatch fine =
      loader::build_s3rec_finetune_batch(corpus, rows, iota(rows.size()), bo);

  TensorMap out;
  rsdist::testing::add_s3rec_export_inputs(out, o, corpus.attributes, pre, fine);
  for (const auto& p : model->named_parameters()) out["params/" + p.key()] = p.value().detach().clone();

  model->train();
  const S3RecPretrainLosses l = model->pretrain_losses(pre, S3RecLossWeights{});
  out["out/aap"] = l.aap.detach();
  out["out/mip"] = l.mip.detach();
  out["out/map"] = l.map.detach();
  out["out/sp"] = l.sp.detach();
  out["out/joint"] = l.joint.detach();
  l.joint.backward();
  for (const auto& p : model->named_parameters()) {
    EXPECT_TRUE(p.value().grad().defined()) << p.key() << " got no pretraining gradient";
    if (p.value().grad().defined()) out["grad_pretrain/" + p.key()] = p.value().grad().clone();
  }
  model->zero_grad(/*set_to_none=*/true);

  const at::Tensor loss = model->finetune_loss(fine);
  out["out/finetune_loss"] = loss.detach();
  loss.backward();
  for (const auto& p : model->named_parameters()) {
    const at::Tensor grad = p.value().grad();
    out["grad_finetune/" + p.key()] = grad.defined() ? grad.clone() : at::zeros_like(p.value());
  }

  model->eval();
  const at::NoGradGuard no_grad;
  const at::Tensor eval_inputs =
      loader::s3rec_eval_inputs(corpus, corpus.splits.valid, iota(corpus.splits.valid.size()), kLength);
  const at::Tensor representation = model->user_representation(eval_inputs);
  const at::Tensor candidates = at::randint(1, o.num_items + 1, {eval_inputs.size(0), 5}, g);
  out["eval/input_ids"] = eval_inputs;
  out["eval/candidates"] = candidates;
  out["out/sampled_scores"] = model->score_candidates(representation, candidates);
  out["out/full_scores"] = model->score_items(representation);
  return out;
}

int compare(TensorMap t, const std::string& name, const std::string& altered) {
  rsdist::testing::TempDir tmp;
  t["config/expect_mismatch"] = scalar(altered.empty() ? 0 : 1);
  if (!altered.empty()) t.at(altered).view(-1)[3] += 1e-2;
  train::export_weights_for_pytorch(tmp / (name + ".pt"), t);
  return rsdist::testing::run_python_script("tests/models/s3rec_reference.py",
                                            {(tmp / (name + ".pt")).string()});
}

TEST(S3RecParity, PretrainingFinetuningAndScoresMatchTheOfficialStructure) {
  EXPECT_EQ(compare(export_s3rec(), "s3rec", ""), 0);
}

// One entry of a pretraining gradient moved: the reference must report it.
TEST(S3RecParity, TheComparisonCanFail) {
  EXPECT_EQ(compare(export_s3rec(), "altered",
                    "grad_pretrain/item_encoder.layers.1.self_attn.in_proj_weight"),
            0);
}

}  // namespace
}  // namespace rsdist::models
