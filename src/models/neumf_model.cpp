#include "models/neumf_model.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/relu.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "models/seeded_init.hpp"

namespace rsdist::models {

NeuMfKind neumf_kind(const std::string& name) {
  if (name == "gmf") return NeuMfKind::kGmf;
  if (name == "mlp") return NeuMfKind::kMlp;
  if (name == "neumf") return NeuMfKind::kNeuMf;
  RSDIST_THROW("unknown NeuMF variant '{}' (gmf, mlp or neumf)", name);
}

NeuMfModelImpl::NeuMfModelImpl(NeuMfOptions options) : options_(std::move(options)) {
  const NeuMfOptions& o = options_;
  RSDIST_CHECK(o.num_users > 0 && o.num_items > 0, "NeuMF needs users and items (got {} and {})",
               o.num_users, o.num_items);
  RSDIST_CHECK(o.factors >= 1, "--factors must be at least 1 (got {})", o.factors);
  RSDIST_CHECK(!o.layers.empty() && o.layers[0] >= 2 && o.layers[0] % 2 == 0,
               "--layers must start with an even width of at least 2 (the user and item "
               "embeddings are half of it each); got {}",
               o.layers.empty() ? 0 : o.layers[0]);
  for (const std::int64_t width : o.layers) {
    RSDIST_CHECK(width >= 1, "--layers: every width must be at least 1 (got {})", width);
  }
  at::Generator generator = make_init_generator(o.init_seed);
  const auto embedding = [&](const char* name, std::int64_t rows, std::int64_t dims) {
    auto e = register_module(name, torch::nn::Embedding(rows, dims));
    normal_(e->weight, 0.0, 0.01, generator);
    return e;
  };
  std::int64_t head_width = 0;
  if (has_gmf()) {
    gmf_user_ = embedding("gmf_user", o.num_users, o.factors);
    gmf_item_ = embedding("gmf_item", o.num_items, o.factors);
    head_width += o.factors;
  }
  if (has_mlp()) {
    mlp_user_ = embedding("mlp_user", o.num_users, o.layers[0] / 2);
    mlp_item_ = embedding("mlp_item", o.num_items, o.layers[0] / 2);
    tower_ = register_module("mlp_tower", torch::nn::ModuleList());
    for (std::size_t k = 1; k < o.layers.size(); ++k) {
      torch::nn::Linear layer(o.layers[k - 1], o.layers[k]);
      xavier_uniform_(layer->weight, 1.0, generator);
      zeros_(layer->bias);
      tower_->push_back(layer);
      tower_layers_.push_back(layer);
    }
    head_width += o.layers.back();
  }
  const char* out_name = o.kind == NeuMfKind::kGmf   ? "gmf_out"
                         : o.kind == NeuMfKind::kMlp ? "mlp_out"
                                                     : "out";
  out_ = register_module(out_name, torch::nn::Linear(head_width, 1));
  const double limit = std::sqrt(3.0 / static_cast<double>(head_width));
  uniform_(out_->weight, -limit, limit, generator);
  zeros_(out_->bias);
}

torch::nn::Linear& NeuMfModelImpl::output() { return out_; }

at::Tensor NeuMfModelImpl::tower_after_first(at::Tensor first) {
  at::Tensor x = at::relu(first);
  for (std::size_t k = 1; k < tower_layers_.size(); ++k) x = at::relu(tower_layers_[k]->forward(x));
  return x;
}

at::Tensor NeuMfModelImpl::forward(const at::Tensor& users, const at::Tensor& items) {
  std::vector<at::Tensor> parts;
  if (has_gmf()) parts.push_back(gmf_user_->forward(users) * gmf_item_->forward(items));
  if (has_mlp()) {
    at::Tensor x = at::cat({mlp_user_->forward(users), mlp_item_->forward(items)}, 1);
    if (!tower_layers_.empty()) x = tower_after_first(tower_layers_[0]->forward(x));
    parts.push_back(x);
  }
  const at::Tensor features = parts.size() == 1 ? parts[0] : at::cat(parts, 1);
  return output()->forward(features).squeeze(1);
}

at::Tensor NeuMfModelImpl::score_all_items(const at::Tensor& users) {
  const std::int64_t items = options_.num_items;
  const std::int64_t slice = std::max<std::int64_t>(1, (std::int64_t{1} << 20) / items);
  const at::Tensor w = output()->weight[0];  // [head_width]
  const at::Tensor b = output()->bias;
  // The item-side halves, once for every slice.
  at::Tensor gmf_items, mlp_items_first, mlp_items_direct;
  std::int64_t offset = 0;
  if (has_gmf()) {
    gmf_items = gmf_item_->weight.t();  // [F, I]
    offset = options_.factors;
  }
  const std::int64_t half = options_.layers[0] / 2;
  if (has_mlp()) {
    if (tower_layers_.empty()) {
      mlp_items_direct = at::matmul(mlp_item_->weight, w.narrow(0, offset + half, half));  // [I]
    } else {
      const at::Tensor& w1 = tower_layers_[0]->weight;  // [H1, 2E]
      mlp_items_first = at::linear(mlp_item_->weight, w1.narrow(1, half, half),
                                   tower_layers_[0]->bias);  // [I, H1]
    }
  }
  std::vector<at::Tensor> slices;
  for (std::int64_t start = 0; start < users.size(0); start += slice) {
    const at::Tensor u = users.narrow(0, start, std::min(slice, users.size(0) - start));
    at::Tensor logits = b.expand({u.size(0), items}).clone();
    if (has_gmf()) {
      logits += at::matmul(gmf_user_->forward(u) * w.narrow(0, 0, options_.factors), gmf_items);
    }
    if (has_mlp()) {
      const at::Tensor pu = mlp_user_->forward(u);  // [S, E]
      const at::Tensor wh = w.narrow(0, offset, w.size(0) - offset);
      if (tower_layers_.empty()) {
        logits += at::matmul(pu, wh.narrow(0, 0, half)).unsqueeze(1) + mlp_items_direct;
      } else {
        const at::Tensor user_first =
            at::matmul(pu, tower_layers_[0]->weight.narrow(1, 0, half).t());  // [S, H1]
        const at::Tensor h =
            tower_after_first(user_first.unsqueeze(1) + mlp_items_first.unsqueeze(0));
        logits += at::matmul(h, wh);
      }
    }
    slices.push_back(logits);
  }
  return slices.size() == 1 ? slices[0] : at::cat(slices, 0);
}

bool NeuMfModelImpl::set_pretrained_output(const at::Tensor& gmf_weight, const at::Tensor& gmf_bias,
                                           const at::Tensor& mlp_weight,
                                           const at::Tensor& mlp_bias) {
  if (options_.kind != NeuMfKind::kNeuMf) return false;
  if (!gmf_weight.defined() || !gmf_bias.defined() || !mlp_weight.defined() ||
      !mlp_bias.defined()) {
    return false;
  }
  const at::Tensor weight = at::cat({gmf_weight, mlp_weight}, 1);
  RSDIST_CHECK(weight.sizes() == out_->weight.sizes(),
               "NeuMF's output layer is [1, {}], but gmf_out and mlp_out give [1, {}]",
               out_->weight.size(1), weight.size(1));
  const at::NoGradGuard no_grad;
  out_->weight.copy_(0.5 * weight);
  out_->bias.copy_(0.5 * (gmf_bias + mlp_bias));
  return true;
}

}  // namespace rsdist::models
