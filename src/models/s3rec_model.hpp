// S3-Rec (Zhou et al., CIKM 2020) and SASRec, its no-pretraining case, as the official code
// (aHuiWang/CIKM2020-S3Rec, models.py; seed 002) computes them:
//
//   embed(s) = dropout(LayerNorm_1e-12(item_embeddings[s] + position_embeddings[0..L)))
//   encoder  = 2 BERT-style layers, 2 heads, GELU, hidden 64, dropout 0.5 on attention and hidden
//              states (models/transformer_encoder.hpp with S3-Rec's options)
//
// Fine-tuning (= SASRec): causal + padding mask; at every position t the output h_t scores the
// next item against one sampled negative, loss = mean over real positions of
// -log sigmoid(h_t . e_pos) - log(1 - sigmoid(h_t . e_neg)). A user is scored by the last
// position's output against every item embedding.
//
// Pretraining: bidirectional padding mask, four objectives with their own bilinear heads, each a
// sum over the batch (not a mean), combined with weights (0.2, 1, 1, 0.5):
//   AAP  at every real, unmasked position: BCE of sigmoid(aap_norm(h) . a) for every attribute a
//        against the item's multi-hot attributes;
//   MIP  at every masked position: BCE(sigmoid(sigmoid(mip_norm(h) . e_pos) -
//        sigmoid(mip_norm(h) . e_neg)), 1);
//   MAP  at every masked position: AAP's loss with map_norm;
//   SP   per sequence: the last position of the encoded segment-masked sequence against the
//        last positions of the encoded true and false segments, BCE(sigmoid(sigmoid(sp_norm(c) .
//        p) - sigmoid(sp_norm(c) . n)), 1).
// The official BCELoss on probabilities is computed here from the logits (softplus forms): the
// same values, without its clamp of log at -100, which only bites once a sigmoid saturates in
// float32. The attributes' BCE is sum_a softplus(s_a) - sum_{a of the item} s_a, read from the
// item -> attribute CSR on the device: no [positions, attributes] target is ever built.
// The four encoder passes of a pretraining batch (masked items, the segment-masked sequence, the
// true and the false segment) share one encoder call over [4B, L].
//
// The item table has I + 2 rows: 0 is padding, I + 1 the mask token (the official item_size =
// max_item + 2, mask_id = max_item + 1), so a pretrained table moves into fine-tuning unchanged.
// Parameter names are the official ones except inside the encoder (PyTorch's layer names; the
// parity reference maps them: tests/models/s3rec_reference.py). Initialisation is the official
// init_weights: every Linear and Embedding weight N(0, 0.02) (the padding rows included), biases
// 0, LayerNorms 1 and 0.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <array>
#include <cstdint>
#include <memory>

#include "models/item_table.hpp"
#include "models/s3rec_batch.hpp"
#include "models/transformer_encoder.hpp"

namespace rsdist::models {

struct S3RecOptions {
  std::int64_t num_items = 0;       // I, the largest item id
  std::int64_t num_attributes = 0;  // attribute table rows (largest id + 1); pretraining only
  bool pretraining = false;         // the attribute table and the four heads
  std::int64_t hidden_size = 64;
  std::int64_t max_seq_length = 50;
  std::int64_t num_layers = 2;
  std::int64_t num_heads = 2;
  double hidden_dropout = 0.5;
  double attention_dropout = 0.5;
  double initializer_range = 0.02;
  std::uint64_t init_seed = 0;
  // How the item embeddings (ids 0..I + 1, the mask id last) are reached
  // (models/item_table.hpp); null: replicated. Sharded, item_embeddings hold this rank's rows.
  std::shared_ptr<ItemTable> item_table;
};

struct S3RecLossWeights {
  double aap = 0.2, mip = 1.0, map = 1.0, sp = 0.5;
};

struct S3RecPretrainLosses {
  at::Tensor aap, mip, map, sp;  // sums over the batch
  at::Tensor joint;              // the weighted sum
};

class S3RecModelImpl : public torch::nn::Module {
 public:
  explicit S3RecModelImpl(const S3RecOptions& options);

  // Each item's attribute ids as a CSR over item ids 0..I (data/seq/item_attributes.hpp): offsets
  // [I + 2] and the ids, of any integer type on any device (kept as int64 on the model's; call
  // after moving the model). Pretraining needs it.
  void set_item_attributes(const at::Tensor& offsets, const at::Tensor& attributes);

  // [B, L, H] encoder output; zero at padding positions.
  at::Tensor encode(const at::Tensor& items, bool causal);

  // The official cross_entropy of a fine-tuning batch (training mode: dropout on).
  at::Tensor finetune_loss(const S3RecFinetuneBatch& batch);
  S3RecPretrainLosses pretrain_losses(const S3RecPretrainBatch& batch,
                                      const S3RecLossWeights& weights);

  // The last position's causal output of each (left-padded) row: [B, H].
  at::Tensor user_representation(const at::Tensor& inputs);
  // Scores of every item id 0..I (column 0 is the padding id): [B, I + 1]. With a sharded table,
  // of this rank's rows (the mask id's among them): [B, local rows].
  at::Tensor score_items(const at::Tensor& representation);
  // Scores of candidate ids [B, C]: [B, C].
  at::Tensor score_candidates(const at::Tensor& representation, const at::Tensor& candidates);

  std::int64_t mask_id() const { return options_.num_items + 1; }
  const S3RecOptions& options() const { return options_; }

  torch::nn::Embedding item_embeddings{nullptr}, attribute_embeddings{nullptr};
  torch::nn::Embedding position_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  TransformerEncoder item_encoder{nullptr};
  torch::nn::Linear aap_norm{nullptr}, mip_norm{nullptr}, map_norm{nullptr}, sp_norm{nullptr};

 private:
  at::Tensor embed(const at::Tensor& items);
  // sum over `rows` of BCE(sigmoid(logits[r, a]), item r's attributes), logits [R, A].
  at::Tensor attribute_bce(const at::Tensor& logits, const at::Tensor& items) const;

  S3RecOptions options_;
  std::shared_ptr<ItemTable> table_;
  at::Tensor attribute_offsets_, attribute_ids_;
};
TORCH_MODULE(S3RecModel);

}  // namespace rsdist::models
