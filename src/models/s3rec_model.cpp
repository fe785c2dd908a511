#include "models/s3rec_model.hpp"

#include <ATen/ATen.h>

#include <string>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {
namespace {

// BCE(sigmoid(sigmoid(a) - sigmoid(b)), 1) summed: MIP's and SP's loss.
// Losses are computed in float32 (under bf16 autocast the logits come out of bf16 matmuls).
at::Tensor pairwise_bce(const at::Tensor& positive_logits, const at::Tensor& negative_logits) {
  return at::softplus(-(at::sigmoid(positive_logits.to(at::kFloat)) -
                        at::sigmoid(negative_logits.to(at::kFloat))))
      .sum();
}

constexpr std::int64_t kNoPadding = -1;  // the official embeddings have no padding_idx

}  // namespace

S3RecModelImpl::S3RecModelImpl(const S3RecOptions& o)
    : options_(o), table_(o.item_table ? o.item_table : replicated_item_table()) {
  RSDIST_CHECK(o.num_items >= 1, "s3rec: the corpus has no items");
  RSDIST_CHECK(!o.pretraining || o.num_attributes >= 2,
               "s3rec pretraining needs item attributes (preprocess seq --attributes FILE)");
  const std::int64_t h = o.hidden_size;
  item_embeddings = register_module(
      "item_embeddings", torch::nn::Embedding(table_->local_rows(o.num_items + 2), h));
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(o.max_seq_length, h));
  LayerNorm = register_module(
      "LayerNorm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({h}).eps(1e-12)));
  TransformerOptions t;
  t.d_model = h;
  t.nhead = o.num_heads;
  t.dim_feedforward = 4 * h;
  t.dropout = o.hidden_dropout;
  t.attention_dropout = o.attention_dropout;
  t.num_layers = o.num_layers;
  t.layer_norm_eps = 1e-12;
  t.activation_dropout = false;
  item_encoder = register_module("item_encoder", TransformerEncoder(t));
  if (o.pretraining) {
    attribute_embeddings =
        register_module("attribute_embeddings", torch::nn::Embedding(o.num_attributes, h));
    aap_norm = register_module("aap_norm", torch::nn::Linear(h, h));
    mip_norm = register_module("mip_norm", torch::nn::Linear(h, h));
    map_norm = register_module("map_norm", torch::nn::Linear(h, h));
    sp_norm = register_module("sp_norm", torch::nn::Linear(h, h));
  }
  // The official init_weights.
  at::Generator generator = make_init_generator(o.init_seed);
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    at::Tensor& p = item.value();
    const bool layer_norm = name.rfind("LayerNorm.", 0) == 0 ||
                            name.find(".norm1.") != std::string::npos ||
                            name.find(".norm2.") != std::string::npos;
    if (name.ends_with("bias")) {
      zeros_(p);
    } else if (layer_norm) {
      const at::NoGradGuard no_grad;
      p.fill_(1.0);
    } else if (p.is_same(item_embeddings->weight)) {
      draw_table_rows_(p, o.num_items + 2, *table_,
                       [&](at::Tensor rows) { normal_(rows, 0.0, o.initializer_range, generator); });
    } else {
      normal_(p, 0.0, o.initializer_range, generator);
    }
  }
}

void S3RecModelImpl::set_item_attributes(const at::Tensor& offsets, const at::Tensor& attributes) {
  RSDIST_CHECK(offsets.dim() == 1 && offsets.size(0) == options_.num_items + 2,
               "s3rec: the attribute CSR has {} offsets for {} items", offsets.size(0),
               options_.num_items);
  const at::Device device = item_embeddings->weight.device();
  attribute_offsets_ = offsets.to(device, at::kLong);
  attribute_ids_ = attributes.to(device, at::kLong);
}

at::Tensor S3RecModelImpl::embed(const at::Tensor& items) {
  const at::Tensor positions = at::arange(items.size(1), items.options());
  const at::Tensor x =
      table_->rows(item_embeddings->weight, items, kNoPadding) +
      position_embeddings->forward(positions).unsqueeze(0);
  return at::dropout(LayerNorm->forward(x), options_.hidden_dropout, is_training());
}

at::Tensor S3RecModelImpl::encode(const at::Tensor& items, bool causal) {
  RSDIST_CHECK(items.dim() == 2 && items.size(1) == options_.max_seq_length,
               "s3rec: expects item rows [B, {}]", options_.max_seq_length);
  return item_encoder->forward(embed(items), items.eq(0), causal);
}

at::Tensor S3RecModelImpl::finetune_loss(const S3RecFinetuneBatch& batch) {
  const std::int64_t h = options_.hidden_size;
  const at::Tensor out = encode(batch.inputs, /*causal=*/true).reshape({-1, h});
  const at::Tensor real = batch.positives.reshape({-1}).gt(0).nonzero().squeeze(1);
  const at::Tensor rows = out.index_select(0, real);
  const auto logits = [&](const at::Tensor& items) {
    return (rows * table_->rows(item_embeddings->weight,
                                items.reshape({-1}).index_select(0, real), kNoPadding))
        .sum(-1)
        .to(at::kFloat);
  };
  const at::Tensor loss =
      -(at::log_sigmoid(logits(batch.positives)) + at::log_sigmoid(-logits(batch.negatives))).sum();
  return loss / std::max<std::int64_t>(real.size(0), 1);
}

at::Tensor S3RecModelImpl::attribute_bce(const at::Tensor& scores, const at::Tensor& items) const {
  const at::Tensor logits = scores.to(at::kFloat);
  RSDIST_CHECK(attribute_offsets_.defined(), "s3rec: pretraining without item attributes");
  const at::Tensor start = attribute_offsets_.index_select(0, items);
  const at::Tensor counts = attribute_offsets_.index_select(0, items + 1) - start;
  const at::Tensor row = at::repeat_interleave(at::arange(items.size(0), items.options()), counts);
  const at::Tensor first = at::repeat_interleave(start, counts);
  const at::Tensor row_start = at::repeat_interleave(counts.cumsum(0) - counts, counts);
  const at::Tensor entry = first + at::arange(row.size(0), items.options()) - row_start;
  const at::Tensor attribute = attribute_ids_.index_select(0, entry);
  return at::softplus(logits).sum() - logits.index({row, attribute}).sum();
}

S3RecPretrainLosses S3RecModelImpl::pretrain_losses(const S3RecPretrainBatch& batch,
                                                    const S3RecLossWeights& weights) {
  RSDIST_CHECK(options_.pretraining, "s3rec: pretrain_losses on a model without its heads");
  const std::int64_t b = batch.size(), l = options_.max_seq_length, h = options_.hidden_size;
  const at::Tensor encoded = encode(
      at::cat({batch.masked_items, batch.masked_segment, batch.segment, batch.false_segment}, 0),
      /*causal=*/false);
  const at::Tensor sequence = encoded.narrow(0, 0, b).reshape({-1, h});
  const at::Tensor masked = batch.masked_items.reshape({-1});
  const at::Tensor items = batch.items.reshape({-1});
  const at::Tensor attributes = attribute_embeddings->weight;

  S3RecPretrainLosses losses;
  const at::Tensor kept = (masked.ne(mask_id()) & masked.ne(0)).nonzero().squeeze(1);
  losses.aap = attribute_bce(at::matmul(aap_norm->forward(sequence.index_select(0, kept)),
                                    attributes.t()),
                         items.index_select(0, kept));
  const at::Tensor hidden = masked.eq(mask_id()).nonzero().squeeze(1);
  const at::Tensor at_mask = sequence.index_select(0, hidden);
  const at::Tensor mip = mip_norm->forward(at_mask);
  const auto dot = [](const at::Tensor& a, const at::Tensor& e) { return (a * e).sum(-1); };
  losses.mip = pairwise_bce(
      dot(mip, table_->rows(item_embeddings->weight, items.index_select(0, hidden), kNoPadding)),
      dot(mip, table_->rows(item_embeddings->weight,
                            batch.negatives.reshape({-1}).index_select(0, hidden), kNoPadding)));
  losses.map = attribute_bce(at::matmul(map_norm->forward(at_mask), attributes.t()),
                         items.index_select(0, hidden));
  const at::Tensor last = encoded.select(1, l - 1);  // [4B, H]; the last position is always real
  const at::Tensor context = sp_norm->forward(last.narrow(0, b, b));
  losses.sp = pairwise_bce(dot(context, last.narrow(0, 2 * b, b)),
                       dot(context, last.narrow(0, 3 * b, b)));
  losses.joint = weights.aap * losses.aap + weights.mip * losses.mip + weights.map * losses.map +
             weights.sp * losses.sp;
  return losses;
}

at::Tensor S3RecModelImpl::user_representation(const at::Tensor& inputs) {
  return encode(inputs, /*causal=*/true).select(1, options_.max_seq_length - 1);
}

at::Tensor S3RecModelImpl::score_items(const at::Tensor& representation) {
  if (table_->sharded()) return at::matmul(representation, item_embeddings->weight.t());
  return at::matmul(representation, item_embeddings->weight.narrow(0, 0, options_.num_items + 1).t());
}

at::Tensor S3RecModelImpl::score_candidates(const at::Tensor& representation,
                                            const at::Tensor& candidates) {
  return (table_->rows(item_embeddings->weight, candidates, kNoPadding) *
          representation.unsqueeze(1))
      .sum(-1);
}

}  // namespace rsdist::models
