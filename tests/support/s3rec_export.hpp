// The inputs of the S3-Rec export format that tests/models/s3rec_reference.py reads (its
// docstring lists every key): the configuration, a pretraining batch with its multi-hot
// attributes, and a fine-tuning batch. The parity test adds the outputs and gradients; the
// benchmark (bench/s3rec_bench.cpp) only these and the weights, for bench/s3rec_pytorch_peer.py.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>

#include "data/seq/item_attributes.hpp"
#include "models/s3rec_model.hpp"

namespace rsdist::testing {

// [B, L, A] multi-hot attributes of `items` [B, L] (what the official PretrainDataset builds).
inline at::Tensor s3rec_multi_hot(const seq::ItemAttributes& a, const at::Tensor& items) {
  const at::Tensor ids = items.contiguous();
  at::Tensor out = at::zeros({ids.size(0), ids.size(1), a.num_attributes}, at::kLong);
  const auto* item = ids.data_ptr<std::int64_t>();
  auto* hot = out.data_ptr<std::int64_t>();
  for (std::int64_t p = 0; p < ids.numel(); ++p) {
    for (const std::int32_t attribute : a.of(item[p])) hot[p * a.num_attributes + attribute] = 1;
  }
  return out;
}

inline void add_s3rec_export_inputs(std::map<std::string, at::Tensor>& out,
                                    const models::S3RecOptions& o, const seq::ItemAttributes& a,
                                    const models::S3RecPretrainBatch& pre,
                                    const models::S3RecFinetuneBatch& fine) {
  const auto scalar = [](double v) { return at::scalar_tensor(v, at::kDouble); };
  out["config/items"] = scalar(static_cast<double>(o.num_items));
  out["config/attributes"] = scalar(static_cast<double>(o.num_attributes));
  out["config/hidden"] = scalar(static_cast<double>(o.hidden_size));
  out["config/layers"] = scalar(static_cast<double>(o.num_layers));
  out["config/heads"] = scalar(static_cast<double>(o.num_heads));
  out["config/max_len"] = scalar(static_cast<double>(o.max_seq_length));
  out["config/dropout"] = scalar(o.hidden_dropout);
  const models::S3RecLossWeights w;
  out["config/weights"] = at::tensor({w.aap, w.mip, w.map, w.sp}, at::kDouble);
  out["pretrain/masked_item_sequence"] = pre.masked_items;
  out["pretrain/pos_items"] = pre.items;
  out["pretrain/neg_items"] = pre.negatives;
  out["pretrain/masked_segment_sequence"] = pre.masked_segment;
  out["pretrain/pos_segment"] = pre.segment;
  out["pretrain/neg_segment"] = pre.false_segment;
  out["pretrain/attributes"] = s3rec_multi_hot(a, pre.items);
  out["finetune/input_ids"] = fine.inputs;
  out["finetune/target_pos"] = fine.positives;
  out["finetune/target_neg"] = fine.negatives;
}

}  // namespace rsdist::testing
